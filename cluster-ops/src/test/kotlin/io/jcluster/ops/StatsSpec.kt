package io.jcluster.ops

import io.jcluster.AdminProtocol
import io.jcluster.AdminReply
import io.jcluster.ClusterStats
import io.jcluster.ExitReason
import io.jcluster.PrimaryEvent
import io.jcluster.dslTestConfig
import io.jcluster.startCluster
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.shouldBe
import java.net.StandardProtocolFamily
import java.net.URI
import java.net.UnixDomainSocketAddress
import java.nio.ByteBuffer
import java.nio.channels.Channels
import java.nio.channels.SocketChannel
import java.nio.file.Files
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout

/**
 * One count per cluster: with the stats, control and metrics plugins all in use, each message and
 * each restart is counted once (the cluster feeds its one collector; no plugin feeds it again), and
 * the three show the same figures. Real workers ([DslTestWorker]: each sends one report once it serves).
 */
class StatsSpec : FunSpec({
    timeout = 120_000

    test("stats, control and metrics in one cluster: a message and a restart count once, and all three agree") {
        val scratch = Files.createTempDirectory("jcluster-stats")
        val stats = Plugins.stats()
        val control = Plugins.control(scratch.resolve("control/cluster.sock"))
        val metrics = Plugins.metrics(0)
        val cluster = startCluster("test") { dslTestConfig(); use(stats); use(control); use(metrics) }
        try {
            withTimeout(60.seconds) { cluster.events.first { it == PrimaryEvent.Listening } }
            awaitStats(stats) { it.messages >= 2 } // one report from each worker

            val victim = cluster.primary.activeWorkers().first()
            victim.process!!.destroyForcibly() // an unexpected death: replaced, and a restart
            val after = awaitStats(stats) { it.restarts >= 1 && it.messages >= 3 && it.workers.count { w -> w.active } == 2 }
            after.restarts shouldBe 1
            after.restartReasons shouldBe mapOf(ExitReason.SIGNAL to 1L)
            after.messages shouldBe 3
            after.workers.single { it.slot == victim.slot && it.active }.restarts shouldBe 1

            val exposition = httpGet(metrics.address!!.port, "/metrics")
            withClue(exposition) {
                exposition.lines() shouldContainSample ("jcluster_messages_total" to 3.0)
                exposition.lines() shouldContainSample ("jcluster_restarts_total{reason=\"signal\"}" to 1.0)
                exposition.lines().filter { it.startsWith("jcluster_restarts_total{") }.sumOf { it.substringAfterLast(' ').toDouble() } shouldBe 1.0
                exposition.lines().filter { it.startsWith("jcluster_worker_rss_bytes{") } shouldHaveSize 2 // read by the primary; heap waits for a heartbeat
            }
            val open = httpGet(metrics.address!!.port, "/metrics", accept = "application/openmetrics-text; version=1.0.0")
            withClue(open) {
                open.lines() shouldContainSample ("jcluster_messages_total" to 3.0)
                open.trimEnd().lines().last() shouldBe "# EOF" // OpenMetrics, not the 0.0.4 text
            }
            val reply = AdminProtocol.json.decodeFromString<AdminReply>(ask(control.path!!, """{"command":"stats"}"""))
            reply.stats!!.messages shouldBe 3
            reply.stats!!.restartReasons shouldBe mapOf(ExitReason.SIGNAL to 1L)
        } finally {
            cluster.destroy()
            scratch.toFile().deleteRecursively()
        }
    }
})

/** Waits (at most 30 s) until the stats pass [done]: the heartbeat and the replacement's boot move them, not a clock. */
private suspend fun awaitStats(stats: StatsPlugin, done: (ClusterStats) -> Boolean): ClusterStats =
    withClue({ "stats now: ${stats.snapshot()}" }) {
        withTimeout(30.seconds) {
            while (!done(stats.snapshot())) delay(20.milliseconds)
            stats.snapshot()
        }
    }

/** A sample line "name value" with this value (the writers print a double: `3.0`). */
private infix fun List<String>.shouldContainSample(sample: Pair<String, Double>) = withClue("a sample ${sample.first} ${sample.second}") {
    any { it.substringBeforeLast(' ') == sample.first && it.substringAfterLast(' ').toDoubleOrNull() == sample.second } shouldBe true
}

private suspend fun httpGet(port: Int, path: String, accept: String? = null): String = withContext(Dispatchers.IO) {
    val connection = URI("http://127.0.0.1:$port$path").toURL().openConnection()
    accept?.let { connection.setRequestProperty("Accept", it) }
    connection.getInputStream().use { it.readBytes().decodeToString() }
}

/** One request line to a control socket, and its reply line. */
private suspend fun ask(socket: java.nio.file.Path, request: String): String = withContext(Dispatchers.IO) {
    SocketChannel.open(StandardProtocolFamily.UNIX).use { channel ->
        channel.connect(UnixDomainSocketAddress.of(socket))
        channel.write(ByteBuffer.wrap("$request\n".toByteArray()))
        Channels.newInputStream(channel).bufferedReader().readLine()
    }
}
