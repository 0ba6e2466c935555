package io.jcluster.ops

import io.jcluster.Signal
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.shouldBe
import java.net.InetSocketAddress
import java.nio.channels.SocketChannel
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.exists
import kotlin.io.path.readLines
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.delay
import kotlinx.coroutines.withTimeout

/**
 * `Plugins.logger(dir)` on a real primary ([OpsTestPrimary]), whose workers print a line on stdout and
 * one on stderr for each connection: each worker slot has its log, every line whole and stamped, and
 * `USR1` after a logrotate-style move sends new lines to new files at the old paths.
 */
class LoggerSpec : FunSpec({
    timeout = 120_000

    test("every worker line lands whole, stamped and attributed, in its slot's file; the primary's in master.log") {
        val dir = Files.createTempDirectory("jcluster-logs")
        try {
            OpsProcess.start(mapOf("OPS_LOGS" to dir.toString())).use { primary ->
                primary.awaitListening()
                val port = primary.port()
                repeat(50) { connect(port) }
                val files = listOf(dir.resolve("worker.0.log"), dir.resolve("worker.1.log"))
                awaitLines(files) { lines -> lines.count { it.contains(" out | served ") } == 50 && lines.count { it.contains(" err | oops ") } == 50 }
                val lines = files.filter { it.exists() }.flatMap { it.readLines() }
                withClue("lines that are not whole, stamped lines of a worker") { lines.filterNot { WORKER_LINE.matches(it) }.shouldBeEmpty() }
                awaitLines(listOf(dir.resolve("master.log"))) { master -> master.any { it.contains("primary INFO | ready: 2 workers") } }
                primary.output.filter { it.startsWith("[worker") }.shouldBeEmpty() // nothing relayed to the console any more
            }
        } finally {
            dir.toFile().deleteRecursively()
        }
    }

    test("USR1 after logrotate moved the files: new lines go to new files at the old paths") {
        val dir = Files.createTempDirectory("jcluster-logs")
        try {
            OpsProcess.start(mapOf("OPS_LOGS" to dir.toString(), "OPS_WORKERS" to "1")).use { primary ->
                primary.awaitListening(1)
                val port = primary.port()
                val log = dir.resolve("worker.0.log")
                connect(port)
                awaitLines(listOf(log)) { lines -> lines.any { it.endsWith(" out | served 1") } }

                Files.move(log, dir.resolve("worker.0.log.1"))
                Files.move(dir.resolve("master.log"), dir.resolve("master.log.1"))
                primary.signal(Signal.USR1)
                primary.await("REOPENED") // after the logger's own hook: the files are reopened
                connect(port)
                awaitLines(listOf(log)) { lines -> lines.any { it.endsWith(" out | served 2") } }

                dir.resolve("worker.0.log.1").readLines().none { it.contains("served 2") } shouldBe true
                log.readLines().none { it.contains("served 1") } shouldBe true
                awaitLines(listOf(dir.resolve("master.log"))) { lines -> lines.any { it.endsWith("primary INFO | reopened the log files") } }
                dir.resolve("master.log.1").readLines().map { it.substringAfter(" | ") } shouldContain "ready: 1 workers"
            }
        } finally {
            dir.toFile().deleteRecursively()
        }
    }
})

private val WORKER_LINE = Regex("""\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z worker \d+ (out \| served|err \| oops) \d+""")

private fun OpsProcess.port(): Int = output.first { it.startsWith("LISTENING") }.split(' ')[2].toInt()

/** One connection: the worker prints its lines, then answers. */
private fun connect(port: Int) {
    SocketChannel.open(InetSocketAddress("127.0.0.1", port)).use { it.socket().getInputStream().bufferedReader().readLine() }
}

/**
 * Waits until the lines of [files] (those that exist) pass [test]. The primary writes them from its
 * pump threads after the worker answered, and a file has no change notification worth its weight
 * here: they are read every 20 ms, for at most 30 s.
 */
private suspend fun awaitLines(files: List<Path>, test: (List<String>) -> Boolean) {
    fun lines() = files.filter { it.exists() }.flatMap { it.readLines() }
    withClue({ "lines of $files:\n${lines().joinToString("\n")}" }) {
        withTimeout(30.seconds) { while (!test(lines())) delay(20.milliseconds) }
    }
}
