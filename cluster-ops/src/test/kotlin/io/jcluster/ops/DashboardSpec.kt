package io.jcluster.ops

import io.jcluster.ClusterStats
import io.jcluster.PrimaryEvent
import io.jcluster.dslTestConfig
import io.jcluster.startCluster
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainAll
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import java.net.Socket
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout

/**
 * The metrics plugin's dashboard in a real browser (Debian's headless Chromium, which `.ci/run`
 * installs) against a real cluster, and its actions: refused (403) without the token, from another
 * origin or under another Host name; done with them (scale, then a reload).
 */
class DashboardSpec : FunSpec({
    timeout = 180_000

    test("headless Chromium renders a row per worker with its pid; scale needs the token, a local Origin and Host") {
        val stats = Plugins.stats()
        val metrics = Plugins.metrics(0)
        val cluster = startCluster("test") { dslTestConfig(); use(stats); use(metrics) }
        try {
            withTimeout(60.seconds) { cluster.events.first { it == PrimaryEvent.Listening } }
            val url = metrics.dashboardUrl!!
            url shouldStartWith "http://127.0.0.1:${metrics.address!!.port}/?token="
            val pids = awaitStats(stats) { s -> s.workers.count { it.active } == 2 }.workers.mapNotNull { it.pid }

            val dom = chromiumDom(url)
            val rows = Regex("""<tr class="worker" data-id="(\d+)" data-pid="(\d+)">""").findAll(dom).map { it.groupValues[2].toLong() }.toList()
            withClue(dom) {
                rows shouldContainAll pids
                dom shouldContain "<td class=\"state\">listening</td>" // the page's script filled the cells
            }

            val port = metrics.address!!.port
            val token = url.substringAfter("token=")
            val host = "127.0.0.1:$port"
            post(port, "/scale?workers=3", "Host" to host).first shouldBe 403
            post(port, "/scale?workers=3", "Host" to host, TOKEN to "0$token").first shouldBe 403
            post(port, "/scale?workers=3", "Host" to host, TOKEN to token, "Origin" to "http://evil.example").first shouldBe 403
            post(port, "/scale?workers=3", "Host" to "evil.example:$port", TOKEN to token).first shouldBe 403 // DNS rebinding
            request(port, "GET", "/stats.json", "Host" to "evil.example:$port").first shouldBe 403
            stats.snapshot().wanted shouldBe 2

            val (status, body) = post(port, "/scale?workers=3", "Host" to host, TOKEN to token, "Origin" to "http://$host")
            withClue(body) { status shouldBe 200 }
            stats.snapshot().wanted shouldBe 3
            awaitStats(stats) { s -> s.workers.count { it.active } == 3 }

            post(port, "/reload", "Host" to host).first shouldBe 403
            post(port, "/reload", "Host" to host, TOKEN to token).first shouldBe 202
            withTimeout(60.seconds) { cluster.events.first { it is PrimaryEvent.Restarted } } shouldBe PrimaryEvent.Restarted(null)
        } finally {
            cluster.destroy()
        }
    }
})

private const val TOKEN = "X-Jcluster-Token"

/** Chromium's DOM of [url] once its scripts ran (3 s of virtual time: three polls); kills the browser and its children. */
private suspend fun chromiumDom(url: String): String = withContext(Dispatchers.IO) {
    val onPath = System.getenv("PATH").orEmpty().split(':').any { Files.isExecutable(java.nio.file.Path.of(it, "chromium")) }
    withClue("no chromium on the PATH: apt-get install chromium (.ci/run does)") { onPath shouldBe true }
    val profile = Files.createTempDirectory("jcluster-chromium")
    val out = Files.createTempFile("jcluster-dom", ".html")
    val process = ProcessBuilder(
        "chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=$profile",
        "--virtual-time-budget=3000", "--dump-dom", url,
    ).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start()
    try {
        withClue("chromium did not finish in 60 s") { process.waitFor(60, TimeUnit.SECONDS) shouldBe true }
        Files.readString(out)
    } finally {
        process.descendants().forEach { it.destroyForcibly() }
        process.destroyForcibly()
        profile.toFile().deleteRecursively()
        Files.deleteIfExists(out)
    }
}

private suspend fun post(port: Int, path: String, vararg headers: Pair<String, String>) = request(port, "POST", path, *headers)

/** One HTTP/1.1 request written by hand (the JDK's client will not send a foreign Host); its status and body. */
private suspend fun request(port: Int, method: String, path: String, vararg headers: Pair<String, String>): Pair<Int, String> =
    withContext(Dispatchers.IO) {
        Socket("127.0.0.1", port).use { socket ->
            socket.soTimeout = 20_000
            val head = headers.joinToString("") { (k, v) -> "$k: $v\r\n" }
            socket.getOutputStream().write("$method $path HTTP/1.1\r\n${head}Content-Length: 0\r\nConnection: close\r\n\r\n".toByteArray())
            val response = socket.getInputStream().readBytes().decodeToString()
            response.substringAfter(' ').substringBefore(' ').toInt() to response.substringAfter("\r\n\r\n")
        }
    }

/** Waits (at most 30 s) until the stats pass [done]. */
private suspend fun awaitStats(stats: StatsPlugin, done: (ClusterStats) -> Boolean): ClusterStats =
    withClue({ "stats now: ${stats.snapshot()}" }) {
        withTimeout(30.seconds) {
            while (!done(stats.snapshot())) delay(20.milliseconds)
            stats.snapshot()
        }
    }
