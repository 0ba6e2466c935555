package io.jcluster.samples

import io.jcluster.cli.Jcluster
import io.jcluster.ipc.Ipc
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldNotContain
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread

/**
 * `jcluster logs` and `jcluster top` against a real cluster ([PrintingCluster]), each CLI in its own
 * JVM: the recent lines of one worker, a follower that sees a worker born after it started, the
 * same with the logger plugin taking the output, and the live view in a pseudo-terminal (`script`).
 */
class LiveCliSpec : FunSpec({
    timeout = 180_000

    test("logs ID shows a worker's lines, stderr marked; an unknown id lists the ids; logs -f streams a new worker's lines") {
        val home = Files.createTempDirectory("jcluster-live")
        val cluster = Started.start(home)
        try {
            withTimeout(60_000) { listOf("control socket ", "\\[worker 1] boot 1 err", "\\[worker 2] boot 2 out").forEach { cluster.await(it) } }
            val one = cli(home, "logs", "1")
            one.first shouldBe 0
            // A worker's stdout and stderr are two pipes: their lines keep their order within each only.
            one.second.lines().filter { it.isNotEmpty() }.toSet() shouldBe setOf("[worker 1] boot 1 out", "[worker 1 err] boot 1 err")
            cli(home, "logs", "--lines", "1", "2").second.lines().filter { it.isNotEmpty() }.size shouldBe 1
            cli(home, "logs", "7").let { (code, out) -> code shouldBe 1; out shouldBe "jcluster: no worker 7; the workers with output are [1, 2]\n" }

            val follower = Cli.start(home, "logs", "-f")
            try {
                withTimeout(20_000) { follower.await("\\[worker 2] boot 2 out") } // the recent lines first
                cli(home, "kill", "1").first shouldBe 0 // supervision forks worker 3, which prints after the follower started
                withTimeout(60_000) { follower.await("\\[worker 3] boot 3 out") }
                // The exited worker's lines are still there: a crash's last words can be read.
                cli(home, "logs", "1").second shouldContain "[worker 1] boot 1 out"
            } finally {
                follower.destroy()
            }
        } finally {
            cluster.destroy()
            home.toFile().deleteRecursively()
        }
    }

    test("with the logger plugin writing the output to files, logs still has the lines") {
        val home = Files.createTempDirectory("jcluster-live")
        val logs = home.resolve("logs")
        val cluster = Started.start(home, "$logs")
        try {
            withTimeout(60_000) { cluster.await("control socket ") }
            val file = logs.resolve("worker.0.log")
            withTimeout(60_000) { while (!(Files.exists(file) && "boot 1 err" in Files.readString(file))) kotlinx.coroutines.delay(100) }
            cli(home, "logs", "1").second shouldContain "[worker 1 err] boot 1 err"
            cluster.output().joinToString("\n") shouldNotContain "[worker 1]" // the logger took the console's place
        } finally {
            cluster.destroy()
            home.toFile().deleteRecursively()
        }
    }

    test("top in a terminal draws a row per worker with its pid and state and quits on q; top --once in a pipe prints the table") {
        val home = Files.createTempDirectory("jcluster-live")
        val cluster = Started.start(home)
        try {
            withTimeout(60_000) { cluster.await("control socket ") }
            val pids = withTimeout(60_000) {
                var rows: List<List<String>>
                do {
                    rows = cli(home, "status").second.lines().drop(2).filter { it.isNotBlank() }.map { it.split(Regex("\\s+")) }
                } while (rows.size != 2 || rows.any { it[3] != "listening" })
                rows.map { it[2] }
            }
            val once = cli(home, "top", "--once")
            withClue(once.second) { once.first shouldBe 0 }
            once.second.lines()[1].split(Regex("\\s+")) shouldBe listOf("id", "slot", "pid", "state", "cpu", "heap", "rss", "req/s", "restarts")
            pids.forEach { once.second shouldContain Regex("\\b$it\\s+listening\\b") }
            once.second shouldNotContain "\u001b["

            val command = jcluster(home, "top").joinToString(" ")
            val top = Cli.start(home, "script", "-qfec", command, "/dev/null", raw = true)
            try {
                withTimeout(30_000) { pids.forEach { pid -> top.await("\\d+\\s+\\d+\\s+$pid\\s+listening") } }
                top.text() shouldContain "\u001b[?1049h" // the alternate screen
                top.process.outputStream.apply { write('q'.code); flush() }
                withContext(Dispatchers.IO) { top.process.waitFor(20, TimeUnit.SECONDS) } shouldBe true
                top.process.exitValue() shouldBe 0
                top.text() shouldContain "\u001b[?1049l" // and back to the shell's screen
            } finally {
                top.destroy()
            }
        } finally {
            cluster.destroy()
            home.toFile().deleteRecursively()
        }
    }
})

/** A process whose output (stdout and stderr) is gathered as it comes, for [await]. */
private open class Cli(val process: Process) {
    private val all = StringBuffer()
    private val arrived = LinkedBlockingQueue<Unit>()

    init {
        thread(isDaemon = true) {
            val chars = process.inputStream.reader()
            val buffer = CharArray(4096)
            while (true) {
                val n = chars.read(buffer)
                if (n < 0) break
                all.append(buffer, 0, n)
                arrived.put(Unit)
            }
        }
    }

    fun text(): String = all.toString()

    fun output(): List<String> = text().lines()

    /** Waits until a line of the output so far matches [pattern] (from the line's start), as output arrives. */
    suspend fun await(pattern: String) = withContext(Dispatchers.IO) {
        val regex = Regex("(^|\\n|\\r)$pattern")
        while (!regex.containsMatchIn(text())) {
            ensureActive()
            arrived.poll(100, TimeUnit.MILLISECONDS)
        }
    }

    fun destroy() {
        process.descendants().forEach { it.destroyForcibly() }
        process.destroyForcibly()
    }

    companion object {
        /** `bin/jcluster [args]` in its own JVM (or, with [raw], the command [args] as is), seeing only [home]'s sockets. */
        fun start(home: Path, vararg args: String, raw: Boolean = false): Cli =
            Cli(launch(home, if (raw) args.toList() else jcluster(home, *args)))
    }
}

/** The command line of `bin/jcluster [args]` (its main in a JVM of its own), looking for sockets in [home] only. */
private fun jcluster(home: Path, vararg args: String): List<String> {
    val java = ProcessHandle.current().info().command().orElseThrow()
    return listOf(java, "-Djava.io.tmpdir=${home.resolve("tmp")}", "-cp", System.getProperty("java.class.path"), Jcluster::class.java.name) + args
}

/** [PrintingCluster], with the logger writing to [logDir] if given. */
private class Started(process: Process) : Cli(process) {
    companion object {
        fun start(home: Path, logDir: String? = null): Started {
            val java = ProcessHandle.current().info().command().orElseThrow()
            val command = listOf(java) + Ipc.jvmFlags + listOf("-cp", System.getProperty("java.class.path"), PrintingCluster::class.java.name) + listOfNotNull(logDir)
            return Started(launch(home, command))
        }
    }
}

private fun launch(home: Path, command: List<String>): Process {
    Files.createDirectories(home.resolve("tmp"))
    val builder = ProcessBuilder(command).redirectErrorStream(true)
    builder.environment()["XDG_RUNTIME_DIR"] = "${Files.createDirectories(home.resolve("xdg"))}"
    return builder.start()
}

/** `bin/jcluster [args]` run to its end (60 s at most): its exit code and output (stdout and stderr). */
private suspend fun cli(home: Path, vararg args: String): Pair<Int, String> = withContext(Dispatchers.IO) {
    val process = launch(home, jcluster(home, *args))
    val output = process.inputStream.bufferedReader().readText()
    withClue("jcluster ${args.joinToString(" ")}: $output") { process.waitFor(60, TimeUnit.SECONDS) shouldBe true }
    process.exitValue() to output
}
