package io.jcluster.samples

import io.jcluster.ipc.Ipc
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import java.net.URI
import java.nio.file.Files
import java.nio.file.Path
import java.util.Collections
import java.util.concurrent.atomic.AtomicLong
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread

/**
 * The main job end to end, as `bin/hello-cluster` runs it: two workers serve Hello World on one
 * port, the primary counts their requests, and `TERM` to the primary stops everything with exit 0.
 */
class HelloClusterSpec : FunSpec({
    timeout = 60_000

    test("two workers serve Hello World on one port, the primary counts every request, TERM stops all") {
        val (primary, lines) = helloCluster("--workers", "2", "--port", "0")
        try {
            val seen = ArrayList<String>()
            val listening = withTimeout(40_000) { List(2) { lines.next { seen += it; Regex("listening on /127.0.0.1:(\\d+)").find(it)?.groupValues?.get(1) } } }
            val port = listening.toSet().single().toInt()
            seen.filter { "kotlin-logging: initializing" in it }.shouldBeEmpty() // the primary's and the workers' output

            val client = HttpClient.newHttpClient()
            repeat(10) {
                val response = withContext(Dispatchers.IO) {
                    client.send(HttpRequest.newBuilder(URI("http://127.0.0.1:$port/")).build(), HttpResponse.BodyHandlers.ofString())
                }
                (response.statusCode() to response.body()) shouldBe (200 to "Hello World\n")
            }
            withTimeout(10_000) { lines.next { it.takeIf { line -> line == "numReqs = 10" } } }

            val workers = primary.descendants().toList()
            primary.toHandle().destroy() // TERM
            withContext(Dispatchers.IO) { primary.waitFor(20, TimeUnit.SECONDS) } shouldBe true
            primary.exitValue() shouldBe 0
            workers.filter { it.isAlive }.shouldBeEmpty()
        } finally {
            primary.destroyAll()
        }
    }

    test("HUP reloads every worker without a failed request by promoting a standby per worker, and a worker killed with SIGKILL is respawned") {
        val (primary, lines) = helloCluster("--workers", "2", "--port", "0")
        try {
            val first = withTimeout(40_000) { List(2) { lines.next { listening.find(it) } } }
            val port = first.map { it.groupValues[2] }.toSet().single().toInt()
            val load = HelloLoad(port)
            val reloaded = HashSet<Long>() // the new workers, by their listening lines (a warm standby is a child too)
            // As it ships, a standby per worker: both started once the workers are ready, one after the other.
            val standbys = withTimeout(40_000) {
                while (workerJvms(primary).size < 4) delay(50)
                workerJvms(primary) - first.map { it.groupValues[1].toLong() }.toSet()
            }
            try {
                load.awaitServed(50)
                signal("HUP", primary.pid())
                withTimeout(40_000) {
                    lines.next { line ->
                        listening.find(line)?.let { reloaded += it.groupValues[1].toLong() }
                        line.takeIf { it.startsWith("reloaded: 2 workers replaced") }
                    }
                }
                val served = load.served.get()
                load.awaitServed(served + 50) // the new workers serve
            } finally {
                load.stop()
            }
            load.failures.shouldBeEmpty()
            reloaded shouldHaveSize 2
            reloaded shouldBe standbys // the reload started no JVM: it promoted the standbys

            val victim = reloaded.first()
            signal("KILL", victim)
            withTimeout(20_000) { lines.next { it.takeIf { line -> line.contains("died: SIGNAL killed by SIGKILL") } } }
            val replacement = withTimeout(20_000) { lines.next { listening.find(it) } }
            val replacementPid = replacement.groupValues[1].toLong()
            replacementPid shouldNotBe victim
            (reloaded - victim + replacementPid).filter { ProcessHandle.of(it).map(ProcessHandle::isAlive).orElse(false) } shouldHaveSize 2
        } finally {
            primary.destroyAll()
        }
    }

    test("--server jdk answers the same through the JDK's own server, and the primary counts it") {
        val (primary, lines) = helloCluster("--workers", "1", "--standby", "0", "--port", "0", "--server", "jdk")
        try {
            val port = withTimeout(40_000) { lines.next { listening.find(it) } }.groupValues[2].toInt()
            val response = withContext(Dispatchers.IO) {
                HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI("http://127.0.0.1:$port/")).build(), HttpResponse.BodyHandlers.ofString())
            }
            (response.statusCode() to response.body()) shouldBe (200 to "Hello World\n")
            response.headers().firstValue("content-length").orElse(null) shouldBe "12" // not chunked: the JDK server's own framing
            withTimeout(10_000) { lines.next { it.takeIf { line -> line == "numReqs = 1" } } }
        } finally {
            primary.destroyAll()
        }
    }

    test("an unknown --server: one line naming the choices, exit 2, nothing started") {
        val (primary, lines) = helloCluster("--port", "0", "--server", "tomcat")
        try {
            withContext(Dispatchers.IO) { primary.waitFor(30, TimeUnit.SECONDS) } shouldBe true
            primary.exitValue() shouldBe 2
            withTimeout(5_000) { lines.next { it } } shouldBe "hello-cluster: --server: unknown server 'tomcat': use netty|jdk" // the first line
        } finally {
            primary.destroyAll()
        }
    }

    test("a primary started without --add-opens java.base/sun.nio.ch exits at once with one line naming the flag") {
        val (primary, lines) = helloCluster("--workers", "1", "--port", "0", jvmFlags = emptyList())
        try {
            withContext(Dispatchers.IO) { primary.waitFor(30, TimeUnit.SECONDS) } shouldBe true
            primary.exitValue() shouldBe 2
            val output = generateSequence { lines.poll() }.toList()
            output.joinToString("\n") shouldContain "hello-cluster: passing sockets between JVMs needs the JVM flag `--add-opens=java.base/sun.nio.ch=ALL-UNNAMED`"
            output.filter { it.trimStart().startsWith("at ") }.shouldBeEmpty() // no stack trace
        } finally {
            primary.destroyAll()
        }
    }

    test("a control socket in a directory others may read: one line saying why, no stack trace, and the cluster serves") {
        val open = java.nio.file.Files.createTempDirectory("jcluster-open")
        java.nio.file.Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"))
        val (primary, lines) = helloCluster("--workers", "1", "--port", "0", "--control-socket", "${open.resolve("control.sock")}")
        try {
            val seen = ArrayList<String>()
            withTimeout(40_000) { lines.next { line -> seen += line; line.takeIf { listening.containsMatchIn(it) } } }
            seen.filter { "refusing to put the control socket in $open" in it }.shouldHaveSize(1)
            seen.filter { it.trimStart().startsWith("at ") }.shouldBeEmpty() // no stack trace
        } finally {
            primary.destroyAll()
            open.toFile().deleteRecursively()
        }
    }
})

private val listening = Regex("\\(pid (\\d+)\\) listening on /127.0.0.1:(\\d+)")

/** Starts `bin/hello-cluster`'s primary with [args] (and [jvmFlags]); its output (stdout and stderr) arrives line by line. */
internal fun helloCluster(vararg args: String, jvmFlags: List<String> = Ipc.jvmFlags): Pair<Process, LinkedBlockingQueue<String>> {
    val java = ProcessHandle.current().info().command().orElseThrow()
    val primary = ProcessBuilder(listOf(java) + jvmFlags + listOf("-cp", System.getProperty("java.class.path"), HelloCluster::class.java.name) + args)
        .redirectErrorStream(true).start()
    val lines = LinkedBlockingQueue<String>()
    thread(isDaemon = true) { primary.inputStream.bufferedReader().forEachLine { lines.put(it) } }
    return primary to lines
}

internal fun Process.destroyAll() {
    descendants().forEach { it.destroyForcibly() }
    destroyForcibly()
}

/**
 * The pids of [primary]'s children that run the main job (workers and standbys; not fast start's
 * training JVM), from their command lines in /proc: `ProcessHandle.Info` cuts a long one short.
 */
private fun workerJvms(primary: Process): Set<Long> = primary.children()
    .filter { child ->
        val arguments = runCatching { String(Files.readAllBytes(Path.of("/proc/${child.pid()}/cmdline"))).split('\u0000') }.getOrDefault(emptyList())
        child.isAlive && HelloCluster::class.java.name in arguments
    }
    .map { it.pid() }.toList().toSet()

/** Sends SIG[name] to [pid] with kill(1). */
internal fun signal(name: String, pid: Long) {
    ProcessBuilder("kill", "-$name", "$pid").start().waitFor(5, TimeUnit.SECONDS) shouldBe true
}

/** GET / over and over on two threads (new connections and kept-alive ones), recording failures. */
internal class HelloLoad(port: Int) {
    val served = AtomicLong()
    val failures: MutableList<String> = Collections.synchronizedList(mutableListOf())
    @Volatile private var running = true
    private val request = HttpRequest.newBuilder(URI("http://127.0.0.1:$port/")).build()
    private val threads = List(2) { n ->
        thread(isDaemon = true) {
            var client = HttpClient.newHttpClient()
            while (running) {
                if (n == 0) client = HttpClient.newHttpClient() // a new connection each time
                runCatching { client.send(request, HttpResponse.BodyHandlers.ofString()) }
                    .onSuccess { if (it.statusCode() == 200 && it.body() == "Hello World\n") served.incrementAndGet() else failures += "${it.statusCode()} ${it.body()}" }
                    .onFailure { failures += it.toString() }
            }
        }
    }

    suspend fun awaitServed(count: Long) = withTimeout(20_000) {
        while (served.get() < count) kotlinx.coroutines.delay(10)
    }

    fun stop() {
        running = false
        threads.forEach { it.join(5_000) }
    }
}

/** Takes lines until [pick] returns non-null for one; returns that. */
internal suspend fun <T : Any> LinkedBlockingQueue<String>.next(pick: (String) -> T?): T = withContext(Dispatchers.IO) {
    while (true) {
        ensureActive() // the caller's timeout
        val line = poll(100, TimeUnit.MILLISECONDS) ?: continue
        pick(line)?.let { return@withContext it }
    }
    @Suppress("UNREACHABLE_CODE") error("unreachable")
}
