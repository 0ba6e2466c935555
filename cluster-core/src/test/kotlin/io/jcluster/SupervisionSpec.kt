package io.jcluster

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.collections.shouldContainExactlyInAnyOrder
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.withContext
import java.io.ByteArrayOutputStream
import java.io.PrintStream
import java.net.InetSocketAddress
import java.util.concurrent.atomic.AtomicBoolean
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/** Supervision with real worker JVMs: respawn, the restart budget, boot failures, heartbeats, reload. */
class SupervisionSpec : FunSpec({
    timeout = 90_000

    fun supervised(behaviour: String = "supervised", supervision: Supervision = Supervision(heartbeatTimeout = null)) =
        testSettings(behaviour).copy(supervision = supervision)

    test("a crashing worker is respawned after growing delays, and the restart budget stops the crash loop") {
        val supervision = Supervision(heartbeatTimeout = null, respawnDelay = 100.milliseconds, maxRestarts = 3, healthyUptime = 30.seconds)
        withCluster(supervised(supervision = supervision), react = { if (it is WorkerEvent.Ready) it.worker.send(Crash(3)) }) { primary, log ->
            primary.spawn(1)
            val failed = log.await { it.event as? ClusterFailed }
            failed.reason shouldContain "4 unexpected worker deaths within 1m (maxRestarts = 3)"
            log.all.mapNotNull { (it.event as? RespawnScheduled)?.delay } shouldContainExactly listOf(100, 200, 400).map { it.milliseconds }
            val exits = log.all.mapNotNull { it.event as? WorkerEvent.Exited }
            exits.map { it.reason to it.code } shouldBe List(4) { ExitReason.CRASH to 3 }
            exits.map { it.worker.slot }.toSet() shouldBe setOf(0)
            primary.state.value.shouldBeInstanceOf<ClusterState.Failed>()
            primary.workers.value shouldBe emptyMap()
        }
    }

    test("the last worker's death keeps its port open: a connection made before the replacement listens waits for it") {
        withCluster(supervised()) { primary, log ->
            primary.spawn(1)
            val listening = log.await { it.event as? WorkerEvent.Listening }
            val port = (listening.address as InetSocketAddress).port
            listening.worker.send(Crash(3))
            log.await<WorkerEvent.Exited>(listening.worker)
            // No worker serves now, and none has a lease: the port must still take the connection.
            val answer = withContext(Dispatchers.IO) {
                java.net.Socket("127.0.0.1", port).use { it.soTimeout = 60_000; it.getInputStream().bufferedReader().readLine() }
            }
            answer.toInt() shouldNotBe listening.worker.id
        }
    }

    test("a worker disconnected while it is its port's only one leaves the port open for its replacement") {
        withCluster(supervised()) { primary, log ->
            primary.spawn(1)
            val listening = log.await { it.event as? WorkerEvent.Listening }
            val port = (listening.address as InetSocketAddress).port
            listening.worker.disconnect() // its servers close: it gives the port back first, then exits
            log.await<WorkerEvent.Exited>(listening.worker)
            val answer = withContext(Dispatchers.IO) {
                java.net.Socket("127.0.0.1", port).use { it.soTimeout = 60_000; it.getInputStream().bufferedReader().readLine() }
            }
            answer.toInt() shouldNotBe listening.worker.id
        }
    }

    test("workers that cannot boot stop the cluster with their stderr in the reason") {
        withCluster(supervised("crash-in-main", Supervision(heartbeatTimeout = null, maxBootFailures = 2))) { primary, log ->
            primary.spawn(1)
            val failed = log.await { it.event as? ClusterFailed }
            failed.reason shouldContain "2 workers in a row died before they were ready"
            failed.reason shouldContain "boom in main, before online"
        }
        withCluster(supervised("cannot-boot")) { primary, log ->
            primary.spawn(2)
            log.await { it.event as? ClusterFailed }.reason shouldContain "cannot boot: DATABASE_URL is not set"
        }
    }

    test("a hung worker is detected, dumps its threads, and is killed and replaced") {
        val dumps = ByteArrayOutputStream()
        val stdout = System.out
        System.setOut(PrintStream(TeeStream(stdout, dumps), true)) // the primary pipes its workers' stdout here
        try {
            val supervision = Supervision(heartbeatInterval = 200.milliseconds, heartbeatTimeout = 1.seconds)
            withCluster(supervised(supervision = supervision), react = { if (it is WorkerEvent.Ready && it.worker.id == 1) it.worker.send(Hang) }) { primary, log ->
                primary.spawn(1)
                val exited = log.await { (it.event as? WorkerEvent.Exited)?.takeIf { e -> e.worker.id == 1 } }
                exited.reason shouldBe ExitReason.HEARTBEAT
                exited.signal shouldBe Signal.KILL
                log.await { (it.event as? WorkerEvent.Ready)?.takeIf { e -> e.worker.id == 2 } }.worker.slot shouldBe 0
                synchronized(dumps) { dumps.toString() } shouldContain "[worker 1] Full thread dump"
            }
        } finally {
            System.setOut(stdout)
        }
    }

    test("reload() replaces every worker, and not one connection fails meanwhile") {
        withCluster(supervised()) { primary, log ->
            primary.spawn(2)
            val old = List(2) { n -> log.await { (it.event as? WorkerEvent.Ready)?.worker?.takeIf { w -> w.id == n + 1 } } }
            val port = (log.await { it.event as? WorkerEvent.Listening }.address as InetSocketAddress).port
            val (answers, result) = whileConnecting(port) { primary.reload() }
            result.replaced shouldBe 2
            answers.size shouldBeGreaterThan 10
            primary.activeWorkers().map { it.id } shouldContainExactlyInAnyOrder listOf(3, 4)
            primary.activeWorkers().map { it.slot } shouldContainExactlyInAnyOrder listOf(0, 1)
            old.forEach { worker -> log.of(worker).exited().reason shouldBe ExitReason.RELOAD }
            (connectMany(port, 20).toSet() - setOf(3, 4)).shouldBeEmpty() // only the new workers answer (not always both: the kernel picks)
        }
    }

    test("a warm standby waits unseen at its listen, and a killed worker's slot goes to it, not to a new JVM") {
        withCluster(supervised(supervision = Supervision(heartbeatTimeout = null, standby = 1))) { primary, log ->
            primary.spawn(2)
            for (id in 1..2) log.await { (it.event as? WorkerEvent.Ready)?.takeIf { e -> e.worker.id == id } }
            val port = (log.await { it.event as? WorkerEvent.Listening }.address as InetSocketAddress).port
            val standbyPid = primary.loop.standbyPids.first { it.isNotEmpty() }.single()
            primary.workers.value.keys shouldBe setOf(1, 2)
            (connectMany(port, 20).toSet() - setOf(1, 2)).shouldBeEmpty() // it does not serve yet

            val victim = primary.activeWorkers().first()
            victim.process!!.destroyForcibly() // SIGKILL, from outside: an unexpected death
            val promoted = log.await { (it.event as? WorkerEvent.Listening)?.worker?.takeIf { w -> w.id > 2 } }
            promoted.pid shouldBe standbyPid
            promoted.slot shouldBe victim.slot
            log.await<WorkerEvent.Ready>(promoted)
            log.of(promoted).map { it.event::class } shouldContainExactly
                listOf(WorkerEvent.Forked::class, WorkerEvent.Online::class, WorkerEvent.Listening::class, WorkerEvent.Ready::class)
            log.of(victim).exited().reason shouldBe ExitReason.SIGNAL
            // Settled again: a new standby starts.
            primary.loop.standbyPids.first { it.isNotEmpty() && standbyPid !in it }
            (connectMany(port, 20).toSet() - (setOf(1, 2) - victim.id + promoted.id)).shouldBeEmpty()
        }
    }

    test("a reload whose replacements never become ready stops, and the old workers keep serving") {
        withCluster(supervised()) { primary, log ->
            primary.spawn(2)
            for (id in 1..2) log.await { (it.event as? WorkerEvent.Ready)?.takeIf { e -> e.worker.id == id } }
            val port = (log.await { it.event as? WorkerEvent.Listening }.address as InetSocketAddress).port
            primary.setup { it.copy(environment = it.environment + ("TEST_BEHAVIOUR" to "crash-in-main")) }
            val failure = shouldThrow<ReloadFailedException> { primary.reload() }
            failure.message shouldContain "boom in main, before online"
            primary.activeWorkers().map { it.id } shouldContainExactlyInAnyOrder listOf(1, 2)
            primary.state.value shouldBe ClusterState.Running
            (connectMany(port, 20).toSet() - setOf(1, 2)).shouldBeEmpty()
        }
    }
})

/** Connects to [port] over and over while [action] runs; returns who answered each time (a failed connection throws) and what [action] returned. */
private suspend fun <T> whileConnecting(port: Int, action: suspend () -> T): Pair<List<Int>, T> = coroutineScope {
    val running = AtomicBoolean(true)
    val answers = async(Dispatchers.IO) { buildList { while (running.get()) add(readLine(InetSocketAddress("127.0.0.1", port))) } }
    val result = try { action() } finally { running.set(false) }
    answers.await() to result
}

/** Writes to both streams (the real stdout, and a buffer a spec reads). */
internal class TeeStream(private val first: java.io.OutputStream, private val second: java.io.OutputStream) : java.io.OutputStream() {
    override fun write(b: Int) = synchronized(second) { first.write(b); second.write(b) }

    override fun write(b: ByteArray, off: Int, len: Int) = synchronized(second) { first.write(b, off, len); second.write(b, off, len) }

    override fun flush() = first.flush()
}
