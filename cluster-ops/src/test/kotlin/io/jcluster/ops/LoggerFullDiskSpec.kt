package io.jcluster.ops

import io.jcluster.Signal
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.longs.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import java.net.InetSocketAddress
import java.net.Socket
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit
import kotlin.io.path.deleteExisting
import kotlin.io.path.exists
import kotlin.io.path.readLines
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout

/**
 * `Plugins.logger(dir)` on a real 64 KiB tmpfs that its workers' output fills: the worker's pipe keeps
 * draining (it answers), the lines it cannot write are counted, and writing resumes once there is
 * room again, and after `USR1`. Needs root (to mount); skipped otherwise.
 */
class LoggerFullDiskSpec : FunSpec({
    timeout = 120_000

    test("a full log disk drops and counts lines, never blocks a worker, and writing resumes").config(enabledIf = { isRoot() }) {
        val dir = Files.createTempDirectory("jcluster-full-disk")
        run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir.toString())
        try {
            val filler = dir.resolve("filler").also { Files.write(it, ByteArray(24 * 1024)) }
            OpsProcess.start(mapOf("OPS_LOGS" to dir.toString(), "OPS_WORKERS" to "1", "OPS_CHATTER" to "2000")).use { primary ->
                primary.awaitListening(1)
                val port = primary.output.first { it.startsWith("LISTENING") }.split(' ')[2].toInt()
                val log = dir.resolve("worker.0.log")
                // 200 KB of output each, more than the disk and the pipe hold: a pump that stopped reading would block
                // the worker (or, as before the fix, its death closed the pipe, and the output was lost for good).
                repeat(2) { answered(port) shouldBe 1 }
                primary.output.filter { it.startsWith("EXITED") }.shouldBeEmpty()

                filler.deleteExisting()
                answered(port) shouldBe 1 // its lines, or the backlog still in the pipe, fill the room again: any line after the count will do
                awaitLines(log) { lines -> lines.dropWhile { !DROPPED.containsMatchIn(it) }.any { it.contains("worker 1 out | chatter") } }
                droppedIn(log.readLines().first { DROPPED.containsMatchIn(it) }) shouldBeGreaterThan 1000L
                primary.awaitStderr("dropping its lines until there is room again") // on the console the primary started with

                answered(port) shouldBe 1 // full again
                withTimeout(30.seconds) { while (primary.stderr.split("dropping its lines").size < 3) delay(20.milliseconds) }
                log.deleteExisting() // the logger let the file go when it failed, so this frees its room
                primary.signal(Signal.USR1)
                primary.await("REOPENED")
                answered(port) shouldBe 1
                awaitLines(log) { lines -> lines.any { it.contains("worker 1 out | chatter") } }
                droppedIn(log.readLines().first()) shouldBeGreaterThan 0L
                primary.output.filter { it.startsWith("EXITED") }.shouldBeEmpty()
            }
        } finally {
            run("umount", "-l", dir.toString())
            dir.toFile().deleteRecursively()
        }
    }
})

private val DROPPED = Regex("""primary WARNING \| dropped (\d+) lines of this file \(No space left on device\)""")

private fun droppedIn(line: String): Long = withClue(line) { DROPPED.find(line)!!.groupValues[1].toLong() }

private fun isRoot(): Boolean = System.getProperty("user.name") == "root"

private fun run(vararg command: String) {
    val process = ProcessBuilder(*command).inheritIO().start()
    check(process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0) { "${command.joinToString(" ")} failed" }
}

/** One connection, answered with the worker's id within 20 s (the worker prints its chatter first). */
private suspend fun answered(port: Int): Int = withContext(Dispatchers.IO) {
    Socket().use { socket ->
        socket.soTimeout = 20_000
        socket.connect(InetSocketAddress("127.0.0.1", port), 5_000)
        socket.getInputStream().bufferedReader().readLine().trim().toInt()
    }
}

/** Waits until [file]'s lines pass [test], reading it every 20 ms for at most 30 s. */
private suspend fun awaitLines(file: Path, test: (List<String>) -> Boolean) {
    fun lines() = if (file.exists()) file.readLines() else emptyList()
    withClue({ "last lines of $file:\n${lines().takeLast(5).joinToString("\n")}" }) {
        withTimeout(30.seconds) { while (!test(lines())) delay(20.milliseconds) }
    }
}
