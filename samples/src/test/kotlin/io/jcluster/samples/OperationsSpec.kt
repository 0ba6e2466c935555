package io.jcluster.samples

import io.jcluster.SocketActivator
import io.jcluster.asNobody as nobody
import io.jcluster.canDropPrivileges
import io.jcluster.cli.Jcluster
import io.jcluster.copyClasspathFor
import io.jcluster.ipc.Ipc
import io.kotest.assertions.withClue
import io.kotest.matchers.collections.shouldNotBeEmpty
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContainAll
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.comparables.shouldBeGreaterThanOrEqualTo
import io.kotest.matchers.comparables.shouldBeLessThan
import io.kotest.matchers.doubles.shouldBeGreaterThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.attribute.PosixFilePermissions
import java.time.Duration
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread
import kotlin.time.Duration.Companion.seconds
import kotlin.time.TimeSource

/**
 * The main job operated as in production: `bin/jcluster` (its main, in its own JVM) finds the
 * running `hello-cluster` by its control socket and steers it, `/metrics` parses as Prometheus text
 * and moves, `/readyz` follows the slots (and a drain delay), the control socket turns away another
 * user, and a socket systemd passes (`LISTEN_FDS`) is served.
 */
class OperationsSpec : FunSpec({
    timeout = 180_000

    test("bin/jcluster finds hello-cluster and its status, scale and reload work; /metrics parses and its counters move") {
        val home = Files.createTempDirectory("jcluster-ops")
        val hello = Hello.start(home, "--workers", "2", "--port", "0", "--metrics-port", "0")
        try {
            // Printed in this order, before any worker listens.
            val socket = withTimeout(30_000) { hello.next(Regex("^control socket (\\S+):")) }.groupValues[1]
            val metrics = withTimeout(10_000) { hello.next(Regex("^metrics on http://127.0.0.1:(\\d+)/metrics")) }.groupValues[1].toInt()
            val first = withTimeout(60_000) { List(2) { hello.next(listening) } }
            val port = first.map { it.groupValues[2] }.toSet().single().toInt()
            socket shouldStartWith home.resolve("xdg/jcluster/HelloCluster-").toString()

            val before = scrape(metrics)
            get(metrics, "/healthz").first shouldBe 200
            // The `listening` line is printed as the event goes out; the slot counts as ready a moment later, in the same loop step.
            awaitStatus(metrics, "/readyz", 200)
            repeat(10) { get(port, "/").first shouldBe 200 }
            // Messages count at once; requests come with the next heartbeat (every 5 s).
            val after = awaitMetrics(metrics) { it.value("jcluster_requests_total") >= before.value("jcluster_requests_total") + 10 }
            after.value("jcluster_messages_total") shouldBeGreaterThanOrEqual before.value("jcluster_messages_total") + 10
            after.value("jcluster_workers", "state" to "listening") shouldBe 2.0

            val status = cli(home, "status")
            withClue(status.second) { status.first shouldBe 0 }
            val rows = status.second.lines().drop(2).filter { it.isNotBlank() }
            rows shouldHaveSize 2
            rows.map { it.split(Regex("\\s+"))[2] } shouldContainAll first.map { it.groupValues[1] }
            rows.forEach { it shouldContain "listening" }
            status.second.lines()[1].split(Regex("\\s+")) shouldBe listOf("id", "slot", "pid", "state", "uptime", "restarts", "heap", "rss", "requests", "conns")
            // The main job keeps a warm standby per worker: not among the workers, but in the metrics and the summary.
            awaitMetrics(metrics) { it.value("jcluster_standby_workers") == 2.0 }
            cli(home, "status").second.lines().first() shouldContain ", 2 standby (pid "

            cli(home, "scale", "3") shouldBe (0 to "scaled from 2 to 3 workers\n")
            withTimeout(60_000) { hello.next(listening) }
            awaitMetrics(metrics) { it.value("jcluster_workers_active") == 3.0 }
            get(metrics, "/readyz").first shouldBe 200

            val reload = cli(home, "reload")
            withClue(reload.second) { reload.first shouldBe 0 }
            reload.second shouldStartWith "reloaded: 3 workers replaced"
            val reloaded = cli(home, "status").second.lines().drop(2).filter { it.isNotBlank() }.map { it.split(Regex("\\s+"))[2] }
            reloaded shouldHaveSize 3
            reloaded.intersect(first.map { it.groupValues[1] }.toSet()).shouldBeEmpty()
            scrape(metrics).value("jcluster_restarts_total", "reason" to "reload") shouldBe 3.0

            cli(home, "kill", "999").let { (code, out) -> code shouldBe 1; out shouldContain "no worker 999" }

            hello.stopGracefully() shouldBe 0
            Files.exists(Path.of(socket)) shouldBe false
            cli(home, "status").first shouldBe Jcluster.UNREACHABLE_EXIT
        } finally {
            hello.destroy()
            home.toFile().deleteRecursively()
        }
    }

    test("TTIN and TTOU scale the main job; with --log-dir, USR1 reopens the rotated logs and the primary serves on") {
        val home = Files.createTempDirectory("jcluster-ops")
        val logs = home.resolve("logs")
        val hello = Hello.start(home, "--workers", "1", "--standby", "0", "--port", "0", "--log-dir", "$logs")
        try {
            val port = withTimeout(60_000) { hello.next(listening) }.groupValues[2].toInt()
            signal("TTIN", hello.process.pid())
            withTimeout(60_000) { hello.next(listening) }
            awaitWorkerRows(home, 2)
            signal("TTOU", hello.process.pid())
            awaitWorkerRows(home, 1)

            Files.list(logs).use { it.toList() }.forEach { Files.move(it, it.resolveSibling("${it.fileName}.1")) } // logrotate
            signal("USR1", hello.process.pid())
            signal("TTIN", hello.process.pid())
            withTimeout(60_000) { hello.next(listening) }
            awaitWorkerRows(home, 2)
            withClue("the files in $logs after rotation") {
                Files.list(logs).use { files -> files.map { it.fileName.toString() }.toList() }.filter { it.endsWith(".log") }.shouldNotBeEmpty()
            }
            get(port, "/").first shouldBe 200
            hello.stopGracefully() shouldBe 0
        } finally {
            hello.destroy()
            home.toFile().deleteRecursively()
        }
    }

    test("the control socket refuses another user (nobody), even where the file system lets it in").config(enabled = canDropPrivileges()) {
        val home = Files.createTempDirectory("jcluster-ops")
        val socket = home.resolve("private/hello.sock")
        val hello = Hello.start(home, "--workers", "1", "--port", "0", "--control-socket", "$socket")
        try {
            withTimeout(60_000) { hello.next(listening) }
            val classpath = copyClasspathFor(Files.createDirectory(home.resolve("cp")))
            cli(home, "status", "--socket", "$socket").first shouldBe 0 // the owner is let in

            val blocked = cli(home, "status", "--socket", "$socket", classpath = classpath, asNobody = true)
            blocked.first shouldBe Jcluster.UNREACHABLE_EXIT
            blocked.second shouldContain "cannot connect to $socket"

            Files.setPosixFilePermissions(socket.parent, PosixFilePermissions.fromString("rwx--x--x"))
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"))
            val refused = cli(home, "status", "--socket", "$socket", classpath = classpath, asNobody = true)
            refused.first shouldBe Jcluster.UNREACHABLE_EXIT
            refused.second shouldContain "closed the connection without an answer"
            withTimeout(10_000) { hello.next(Regex("refused a connection to the control socket $socket from user nobody")) }
            cli(home, "status", "--socket", "$socket").first shouldBe 0 // and the cluster goes on
        } finally {
            hello.destroy()
            home.toFile().deleteRecursively()
        }
    }

    test("TERM with a drain delay: /readyz answers 503 at once, the workers serve on through the delay, then the primary exits 0") {
        val home = Files.createTempDirectory("jcluster-ops")
        val hello = Hello.start(home, "--workers", "2", "--standby", "1", "--port", "0", "--metrics-port", "0", "--drain-delay", "$DRAIN_SECONDS")
        try {
            val metrics = withTimeout(30_000) { hello.next(Regex("^metrics on http://127.0.0.1:(\\d+)/metrics")) }.groupValues[1].toInt()
            val serving = withTimeout(60_000) { List(2) { hello.next(listening) } }
            val port = serving.map { it.groupValues[2] }.toSet().single().toInt()
            awaitStatus(metrics, "/readyz", 200) // a moment after the `listening` line: see above
            val workers = serving.map { ProcessHandle.of(it.groupValues[1].toLong()).orElseThrow() }
            val everything = hello.process.descendants().toList() // the workers, and whatever else the primary started

            val term = TimeSource.Monotonic.markNow()
            hello.process.toHandle().destroy() // TERM
            withTimeout(10_000) { hello.next(Regex("^stopping: disconnecting the workers")) }
            awaitStatus(metrics, "/readyz", 503).second shouldStartWith "not ready: closing"
            repeat(5) { get(port, "/") shouldBe (200 to "Hello World\n") }
            get(metrics, "/healthz").first shouldBe 200 // closing is not failing
            workers.forEach { it.isAlive shouldBe true }
            withClue("all of that must have happened within the delay") { term.elapsedNow() shouldBeLessThan DRAIN_SECONDS.seconds }

            withContext(Dispatchers.IO) { hello.process.waitFor(30, TimeUnit.SECONDS) } shouldBe true
            hello.process.exitValue() shouldBe 0
            term.elapsedNow() shouldBeGreaterThanOrEqualTo DRAIN_SECONDS.seconds
            everything.filter { it.isAlive }.shouldBeEmpty()
        } finally {
            hello.destroy()
            home.toFile().deleteRecursively()
        }
    }

    test("bin/jcluster restart replaces every worker with a new process, as many as before, and they serve") {
        val home = Files.createTempDirectory("jcluster-ops")
        val hello = Hello.start(home, "--workers", "2", "--port", "0")
        try {
            val serving = withTimeout(60_000) { List(2) { hello.next(listening) } }
            val before = serving.map { it.groupValues[1] }.toSet()
            val port = serving.map { it.groupValues[2] }.toSet().single().toInt()

            val restart = cli(home, "restart")
            withClue(restart.second) { restart.first shouldBe 0 }
            restart.second shouldStartWith "restarted: every worker was sent TERM and replaced"
            val replacements = withTimeout(60_000) { List(2) { hello.next(listening) } }
            val after = replacements.map { it.groupValues[1] }.toSet()
            after shouldHaveSize 2
            after.intersect(before).shouldBeEmpty()
            before.forEach { pid -> ProcessHandle.of(pid.toLong()).map { it.isAlive }.orElse(false) shouldBe false }

            val status = cli(home, "status")
            withClue(status.second) { status.first shouldBe 0 }
            val rows = status.second.lines().drop(2).filter { it.isNotBlank() }.map { it.split(Regex("\\s+")) }
            rows.map { it[2] }.toSet() shouldBe after
            rows.forEach { row -> row[3] shouldBe "listening"; row[5] shouldBe "1" } // one restart per slot
            // The primary keeps the shared socket through a forced restart: the same port, under --port 0 too.
            replacements.map { it.groupValues[2].toInt() }.toSet() shouldBe setOf(port)
            repeat(4) { get(port, "/") shouldBe (200 to "Hello World\n") }

            hello.stopGracefully() shouldBe 0
        } finally {
            hello.destroy()
            home.toFile().deleteRecursively()
        }
    }

    test("socket activation: the workers serve HTTP on the socket systemd passed (LISTEN_FDS), a request sent before the JVM started included")
        .config(enabled = SocketActivator.available()) {
            val home = Files.createTempDirectory("jcluster-ops")
            val hello = Hello.start(home, "--workers", "2", "--standby", "1", "--port", SocketActivator.ADDRESS, wrapper = SocketActivator.wrapper())
            try {
                val port = withTimeout(30_000) { hello.next(Regex("^ACTIVATED (\\d+)")) }.groupValues[1].toInt()
                // Sent while the JVM starts: it waits in the inherited socket's queue, which only adoption drains.
                val early = client.sendAsync(HttpRequest.newBuilder(URI("http://127.0.0.1:$port/")).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString())
                withTimeout(60_000) { List(2) { hello.next(listening) } }.map { it.groupValues[2].toInt() }.toSet() shouldBe setOf(port)
                withContext(Dispatchers.IO) { early.get(60, TimeUnit.SECONDS) }.let { (it.statusCode() to it.body()) shouldBe (200 to "Hello World\n") }
                repeat(4) { get(port, "/") shouldBe (200 to "Hello World\n") }
                hello.output.any { "socket activation: fd 3 listens on 127.0.0.1:$port" in it } shouldBe true

                hello.stopGracefully() shouldBe 0
            } finally {
                hello.destroy()
                home.toFile().deleteRecursively()
            }
        }
})

/** `--drain-delay` of the drain spec: long enough to look at the cluster inside it on a busy machine. */
private const val DRAIN_SECONDS = 5

private val listening = Regex("\\(pid (\\d+)\\) listening on /127.0.0.1:(\\d+)")

/**
 * `bin/hello-cluster` with `XDG_RUNTIME_DIR` under [home], so that its control socket is found there
 * and only there; [next] takes its output line by line, [output] is all of it so far.
 */
private class Hello(val process: Process, private val lines: LinkedBlockingQueue<String>, private val all: MutableList<String>) {
    val output: List<String> get() = synchronized(all) { all.toList() }

    suspend fun next(pattern: Regex): MatchResult = withContext(Dispatchers.IO) {
        while (true) {
            ensureActive()
            val line = lines.poll(100, TimeUnit.MILLISECONDS) ?: continue
            pattern.find(line)?.let { return@withContext it }
        }
        @Suppress("UNREACHABLE_CODE") error("unreachable")
    }

    /** Sends TERM (the graceful close) and returns the exit code; fails if the primary still runs after 30 s. */
    suspend fun stopGracefully(): Int {
        process.toHandle().destroy()
        withContext(Dispatchers.IO) { process.waitFor(30, TimeUnit.SECONDS) } shouldBe true
        return process.exitValue()
    }

    fun destroy() {
        process.descendants().forEach { it.destroyForcibly() }
        process.destroyForcibly()
    }

    companion object {
        /** Starts it with [args], through [wrapper] if given (the wrapper execs the JVM in its place). */
        fun start(home: Path, vararg args: String, wrapper: List<String> = emptyList()): Hello {
            val java = ProcessHandle.current().info().command().orElseThrow()
            val command = wrapper + listOf(java) + Ipc.jvmFlags + listOf("-cp", System.getProperty("java.class.path"), HelloCluster::class.java.name) + args
            val builder = ProcessBuilder(command).redirectErrorStream(true)
            builder.environment()["XDG_RUNTIME_DIR"] = "${Files.createDirectories(home.resolve("xdg"))}"
            val process = builder.start()
            val lines = LinkedBlockingQueue<String>()
            val all = ArrayList<String>()
            thread(isDaemon = true) { process.inputStream.bufferedReader().forEachLine { line -> synchronized(all) { all += line }; lines.put(line) } }
            return Hello(process, lines, all)
        }
    }
}

/** Waits (20 s at most) until `bin/jcluster status` lists [count] workers. */
private suspend fun awaitWorkerRows(home: Path, count: Int) = withTimeout(20_000) {
    while (cli(home, "status").second.lines().drop(2).count { it.isNotBlank() } != count) delay(200)
}

/**
 * Runs `bin/jcluster`'s main with [args] in its own JVM, looking only under [home] (its
 * `XDG_RUNTIME_DIR` and `java.io.tmpdir`), as this user or as `nobody`; returns its exit code and output.
 */
private suspend fun cli(home: Path, vararg args: String, classpath: String = System.getProperty("java.class.path"), asNobody: Boolean = false): Pair<Int, String> =
    withContext(Dispatchers.IO) {
        val java = ProcessHandle.current().info().command().orElseThrow()
        val command = (if (asNobody) nobody else emptyList()) +
            listOf(java, "-Djava.io.tmpdir=${home.resolve("tmp")}", "-cp", classpath, Jcluster::class.java.name) + args
        Files.createDirectories(home.resolve("tmp")).toFile().setWritable(true, false)
        val builder = ProcessBuilder(command).redirectErrorStream(true)
        builder.environment()["XDG_RUNTIME_DIR"] = "${home.resolve("xdg")}"
        val process = builder.start()
        val output = process.inputStream.bufferedReader().readText()
        withClue("jcluster ${args.joinToString(" ")}: $output") { process.waitFor(60, TimeUnit.SECONDS) shouldBe true }
        process.exitValue() to output
    }

private suspend fun get(port: Int, path: String): Pair<Int, String> = withContext(Dispatchers.IO) {
    val response = client.send(HttpRequest.newBuilder(URI("http://127.0.0.1:$port$path")).build(), HttpResponse.BodyHandlers.ofString())
    response.statusCode() to response.body()
}

private suspend fun scrape(port: Int): List<Sample> {
    val (status, body) = get(port, "/metrics")
    status shouldBe 200
    return PrometheusText.parse(body)
}

/** Asks [path] until it answers [status] (within 10 s), for a state that changes right after a line is printed. */
private suspend fun awaitStatus(port: Int, path: String, status: Int): Pair<Int, String> = withTimeout(10_000) {
    while (true) {
        val answer = get(port, path)
        if (answer.first == status) return@withTimeout answer
        delay(20)
    }
    @Suppress("UNREACHABLE_CODE") error("unreachable")
}

/** Scrapes until [done] (within 20 s: the heartbeat brings new figures every 5 s). */
private suspend fun awaitMetrics(port: Int, done: (List<Sample>) -> Boolean): List<Sample> = withTimeout(20_000) {
    while (true) {
        val samples = scrape(port)
        if (done(samples)) return@withTimeout samples
        delay(200) // polling a figure that changes with the heartbeat, not waiting for one
    }
    @Suppress("UNREACHABLE_CODE") error("unreachable")
}

private val client: HttpClient = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build()
