package io.jcluster

import io.jcluster.WorkerEvent.Message
import io.jcluster.WorkerEvent.Online
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.comparables.shouldBeGreaterThanOrEqualTo
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.withTimeout
import kotlin.time.Duration.Companion.seconds
import kotlin.time.TimeSource

/**
 * Graceful stop (Node's test-cluster-disconnect, -disconnect-idle-worker, -disconnect-with-no-workers,
 * -worker-wait-server-close): `disconnect()` returns once every worker is gone, waits for busy ones,
 * and kills the ones that do not finish in time.
 */
class DisconnectSpec : FunSpec({
    timeout = 20_000

    /** Waits until [worker] says its behaviour is in place. */
    suspend fun EventLog.awaitReady(worker: Worker) = await<Message>(worker) { it.payload == Ready(worker.id) }

    test("disconnect() with no workers returns at once") {
        withCluster(testSettings("idle")) { primary, log ->
            withTimeout(1.seconds) { primary.disconnect() }
            log.all shouldBe emptyList()
        }
    }

    test("disconnect() with two idle workers returns once both have exited and left workers") {
        withCluster(testSettings("idle")) { primary, log ->
            val workers = listOf(primary.fork(), primary.fork())
            workers.forEach { log.await<Online>(it) }
            primary.disconnect()

            primary.workers.value shouldBe emptyMap()
            // The log is written inside the primary's emit, so both exits are in it already.
            val exits = workers.map { log.of(it).exited() }
            exits.map { "${it.code} ${it.reason}" } shouldContainExactly listOf("0 DISCONNECT", "0 DISCONNECT")
        }
    }

    test("disconnect() waits for a busy worker to finish, which then exits with 0") {
        withCluster(testSettings("busy-disconnect")) { primary, log ->
            val worker = primary.fork()
            log.awaitReady(worker)
            val started = TimeSource.Monotonic.markNow()
            primary.disconnect()

            started.elapsedNow() shouldBeGreaterThanOrEqualTo 1.seconds // its disconnect hook takes a second
            primary.workers.value shouldBe emptyMap()
            log.of(worker).exited().let { "${it.code} ${it.reason}" } shouldBe "0 DISCONNECT"
        }
    }

    test("a worker whose main is sending when the primary disconnects it still exits with 0") {
        withCluster(testSettings("send-forever")) { primary, log ->
            val workers = List(3) { primary.fork() }
            workers.forEach { worker -> log.await<WorkerEvent.Message>(worker) }
            primary.disconnect()
            workers.map { log.of(it).exited().let { exit -> "${exit.code} ${exit.reason}" } } shouldBe List(3) { "0 DISCONNECT" }
        }
    }

    test("a worker that does not finish disconnecting in time is killed with TERM") {
        val settings = testSettings("stuck-disconnect").copy(disconnectTimeout = 1.seconds, killTimeout = 1.seconds)
        withCluster(settings) { primary, log ->
            val worker = primary.fork()
            log.awaitReady(worker)
            val started = TimeSource.Monotonic.markNow()
            worker.disconnect()

            val exited = log.awaitGone(worker).exited()
            "${exited.signal} ${exited.exitedAfterDisconnect} ${exited.reason}" shouldBe "TERM true DISCONNECT_TIMEOUT"
            started.elapsedNow() shouldBeGreaterThanOrEqualTo 1.seconds // not before the disconnect timeout
        }
    }
})
