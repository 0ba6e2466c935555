package io.jcluster

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.withContext
import java.net.InetSocketAddress
import java.net.StandardSocketOptions
import java.nio.ByteBuffer
import java.nio.channels.SocketChannel
import java.util.Collections
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlin.time.TimeSource

/**
 * Round-robin under a steady stream of connections: a graceful stop (a disconnect, a reload, the
 * disconnect of every worker that TERM to the primary makes) loses none, and a worker whose heartbeat is late (SIGSTOP) gets no new ones long before it is killed.
 */
class RoundRobinStopSpec : FunSpec({
    timeout = 90_000

    fun roundRobin(supervision: Supervision = Supervision(heartbeatTimeout = null)) =
        testSettings("supervised").copy(strategy = SharingStrategy.ROUND_ROBIN, supervision = supervision)

    suspend fun EventLog.port() = (await { it.event as? WorkerEvent.Listening }.address as InetSocketAddress).port

    /** Spawns workers 1 and 2, waits until both are ready, and returns their port. */
    suspend fun spawnTwo(primary: Primary, log: EventLog): Int {
        primary.spawn(2)
        for (id in 1..2) log.await { (it.event as? WorkerEvent.Ready)?.takeIf { e -> e.worker.id == id } }
        return log.port()
    }

    test("a reload and a disconnect under a stream of connections lose none of them") {
        withCluster(roundRobin()) { primary, log ->
            val port = spawnTwo(primary, log)
            val outcome = underLoad(port, clients = 4) {
                primary.reload().replaced shouldBe 2
                val victim = primary.activeWorkers().first()
                victim.disconnect()
                log.awaitGone(victim)
                log.await { (it.event as? WorkerEvent.Ready)?.takeIf { e -> e.worker.id > 4 } }
                Unit
            }
            outcome.failures.shouldBeEmpty()
            outcome.answers shouldBeGreaterThan 50
        }
    }

    test("a worker that disconnects itself under a stream of connections gives back what it did not take") {
        withCluster(roundRobin()) { primary, log ->
            val port = spawnTwo(primary, log)
            val outcome = underLoad(port, clients = 4) {
                repeat(2) { n ->
                    kotlinx.coroutines.delay(300)
                    val leaving = primary.activeWorkers().minBy { it.id }
                    leaving.send(Leave)
                    log.awaitGone(leaving)
                    log.await { (it.event as? WorkerEvent.Ready)?.takeIf { e -> e.worker.id == 3 + n } }
                    Unit
                }
            }
            outcome.failures.shouldBeEmpty()
            outcome.answers shouldBeGreaterThan 20
        }
    }

    test("disconnecting every worker (what TERM to the primary does) under a stream of connections: each accepted one is answered") {
        withCluster(roundRobin()) { primary, log ->
            val port = spawnTwo(primary, log)
            val outcome = underLoad(port, clients = 4) {
                kotlinx.coroutines.delay(500)
                primary.disconnect()
            }
            // Refused at connect once the primary stopped accepting: fine. Accepted, then closed unanswered: lost.
            outcome.failures.filterNot { it.startsWith("java.net.ConnectException") }.shouldBeEmpty()
            outcome.answers shouldBeGreaterThan 10
        }
    }

    test("a stopped worker gets no new connections once its heartbeat is late, long before it is killed") {
        val supervision = Supervision(heartbeatInterval = 200.milliseconds, heartbeatTimeout = 4.seconds)
        withCluster(roundRobin(supervision)) { primary, log ->
            primary.spawn(2)
            val (stopped, other) = List(2) { n -> log.await { (it.event as? WorkerEvent.Ready)?.worker?.takeIf { w -> w.id == n + 1 } } }
            val port = log.port()
            connectMany(port, 20).toSet() shouldBe setOf(1, 2)
            val pid = stopped.pid!!
            signal("STOP", pid)
            try {
                val since = TimeSource.Monotonic.markNow()
                kotlinx.coroutines.delay(1_000) // late after two missed heartbeats (400 ms), killed after 4 s
                val answers = withContext(Dispatchers.IO) {
                    List(20) { readLineWithin(InetSocketAddress("127.0.0.1", port), 1_500) }
                }
                answers.toSet() shouldBe setOf(other.id)
                (since.elapsedNow() < 3.seconds) shouldBe true
                stopped.isDead() shouldBe false
            } finally {
                signal("CONT", pid)
            }
        }
    }
})

/** Sends SIG[name] to [pid] with kill(1). */
private fun signal(name: String, pid: Long) {
    val process = ProcessBuilder("kill", "-$name", pid.toString()).inheritIO().start()
    check(process.waitFor(5, TimeUnit.SECONDS) && process.exitValue() == 0) { "kill -$name $pid failed" }
}
