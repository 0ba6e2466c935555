package io.jcluster

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainInOrder
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.mapNotNull
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.withTimeout
import java.net.InetSocketAddress
import java.nio.channels.Channels
import java.nio.channels.SocketChannel
import java.nio.file.Files
import kotlin.time.Duration.Companion.seconds

/** The `cluster { }` DSL with real worker JVMs: settings reach the workers, env blocks, the LearnBoost controls, plugins. */
class DslSpec : FunSpec({
    timeout = 120_000

    suspend fun ManagedCluster.reports(count: Int): List<DslReport> = withTimeout(60.seconds) {
        primary.events.filterIsInstance<WorkerEvent.Message>().mapNotNull { it.payload as? DslReport }.take(count).toList()
    }

    suspend fun ManagedCluster.awaitEvent(pick: (PrimaryEvent) -> Boolean): PrimaryEvent = withTimeout(60.seconds) { events.first(pick) }

    fun ManagedCluster.seen() = events.replayCache.map { it::class.simpleName }

    test("settings reach the workers, and env blocks apply only in their environment") {
        val cwd = Files.createTempDirectory("jcluster-dsl")
        val cluster = startCluster("production") { dslTestConfig(); workingDirectory = cwd }
        try {
            val reports = cluster.reports(3) // production: 3 workers, not development's 1
            reports.map { it.slot }.toSet() shouldBe setOf(0, 1, 2)
            reports.map { it.cwd }.toSet() shouldBe setOf(cwd.toRealPath().toString())
            reports.map { it.environment }.toSet() shouldBe setOf("production")
            reports.map { it.ports.single() }.toSet() shouldHaveSize 1 // listen(0): one port for all
            cluster.workers shouldBe 3
        } finally {
            cluster.destroy()
            cwd.toFile().deleteRecursively()
        }
    }

    test("user: the workers run as that user through setpriv, while the primary stays root").config(enabled = canDropPrivileges()) {
        val scratch = Files.createTempDirectory("jcluster-dsl-user")
        val classpath = copyClasspathFor(scratch)
        val cluster = startCluster("test") {
            dslTestConfig()
            user = "nobody"
            settings { it.copy(classpath = classpath) }
        }
        try {
            cluster.reports(2).map { it.user }.toSet() shouldBe setOf("$NOBODY")
        } finally {
            cluster.destroy()
            scratch.toFile().deleteRecursively()
        }
    }

    test("spawn, restart and close do what LearnBoost's do, with the events in order") {
        val cluster = startCluster("test") { dslTestConfig(); workers = 1 }
        cluster.awaitEvent { it == PrimaryEvent.Listening }
        coroutineScope {
            val ready = async(start = CoroutineStart.UNDISPATCHED) { cluster.primary.events.first { it is WorkerEvent.Ready } }
            cluster.spawn(1)
            withTimeout(60.seconds) { ready.await() }
        }
        cluster.primary.activeWorkers() shouldHaveSize 2
        val before = cluster.primary.activeWorkers().map { it.id }.toSet()
        cluster.restart()
        cluster.primary.activeWorkers().map { it.id }.toSet().intersect(before) shouldBe emptySet()
        cluster.close()
        cluster.state.value shouldBe PrimaryState.CLOSED
        cluster.primary.workers.value shouldBe emptyMap()
        cluster.seen() shouldContainInOrder listOf("Started", "WorkersChanged", "WorkerSpawned", "Listening", "WorkersChanged", "WorkerSpawned",
            "Restarting", "WorkerSpawned", "Restarted", "Closing", "Closed")
    }

    test("restart(signal) keeps the listeners: the port stays, and a connection made while no worker runs waits for a new one") {
        val cluster = startCluster("test") { dslTestConfig(); workers = 1 }
        try {
            val port = cluster.reports(1).single().ports.single()
            val old = cluster.primary.activeWorkers().single()
            coroutineScope {
                val oldGone = async(start = CoroutineStart.UNDISPATCHED) { old.state.first { it is WorkerState.Dead } }
                val restarted = async { cluster.restart(Signal.KILL) }
                val report = async(start = CoroutineStart.UNDISPATCHED) { cluster.reports(1).single() }
                withTimeout(30.seconds) { oldGone.await() }
                // No worker runs (the replacement is a JVM still starting): this waits in the backlog.
                SocketChannel.open(InetSocketAddress("127.0.0.1", port)).use { client ->
                    withTimeout(60.seconds) { restarted.await() }
                    val answer = Channels.newInputStream(client).bufferedReader().readLine()
                    requireNotNull(answer) { "the connection made during the restart was closed unanswered" }.toInt() shouldNotBe old.id
                }
                withTimeout(60.seconds) { report.await() }.ports.single() shouldBe port
            }
        } finally {
            cluster.destroy()
        }
    }

    test("kill(signal) signals every worker and closes; destroy() kills at once; neither respawns") {
        val killed = startCluster("test") { dslTestConfig() }
        killed.awaitEvent { it == PrimaryEvent.Listening }
        val pids = killed.primary.activeWorkers().map { it.pid!! }
        killed.kill(Signal.USR1) // the JVM's default for USR1 ends it
        killed.state.value shouldBe PrimaryState.CLOSED
        pids.forEach { ProcessHandle.of(it).isPresent shouldBe false }
        killed.seen().takeLast(2) shouldBe listOf("Killed", "Closed")

        val destroyed = startCluster("test") { dslTestConfig() }
        destroyed.awaitEvent { it == PrimaryEvent.Listening }
        val processes = destroyed.primary.activeWorkers().map { it.process!! }
        destroyed.destroy()
        processes.forEach { it.isAlive shouldBe false }
        destroyed.state.value shouldBe PrimaryState.CLOSED
    }

    test("a plugin that throws is reported, and the cluster goes on") {
        val calls = mutableListOf<String>()
        val broken = object : ClusterPlugin {
            override val name = "broken"
            override fun afterFork(cluster: ManagedCluster, worker: Worker) = throw IllegalStateException("afterFork blew up")
            override fun whenReady(cluster: ManagedCluster) = throw IllegalStateException("whenReady blew up")
        }
        val counting = object : ClusterPlugin {
            override fun whenReady(cluster: ManagedCluster) { calls += "whenReady" }
            override fun onExit(cluster: ManagedCluster) { calls += "onExit" }
        }
        val cluster = startCluster("test") { dslTestConfig(); use(broken); use(counting) }
        cluster.awaitEvent { it == PrimaryEvent.Listening }
        cluster.events.replayCache.filterIsInstance<PrimaryEvent.PluginFailed>().map { it.hook }.toSet() shouldBe setOf("afterFork", "whenReady")
        cluster.close()
        calls shouldBe listOf("whenReady", "onExit")
    }

    test("each worker counts its share of the processors unless told otherwise") {
        val config = ClusterConfig("test", isPrimary = true)
        config.workers = 1
        config.toSettings().processorsPerWorker shouldBe config.cpus
        config.workers = config.cpus * 4
        config.toSettings().processorsPerWorker shouldBe 1
        config.processorsPerWorker = null
        config.workers = 1
        config.toSettings().processorsPerWorker shouldBe null // all of them, as the user said
        shouldThrow<IllegalArgumentException> { config.processorsPerWorker = 0 }.message shouldContain "must be positive"
    }

    test("misuse gets an error that names the fix") {
        val config = ClusterConfig("test", isPrimary = true)
        shouldThrow<IllegalArgumentException> { config.workers = 0 }.message shouldContain "at least 1"
        shouldThrow<IllegalArgumentException> { config.set("workers", "four") }.message shouldContain "expected a number"
        shouldThrow<IllegalArgumentException> { config.set("wokers", 4) }.message shouldContain "the settings are workers, working directory"
        config.listen(3000)
        shouldThrow<IllegalArgumentException> { config.listen(3000) }.message shouldContain "given twice"
        shouldThrow<IllegalArgumentException> { config.env { } }.message shouldContain "at least one environment name"
        shouldThrow<IllegalStateException> { Cluster.worker }.message shouldContain "only in a worker process"
    }
})
