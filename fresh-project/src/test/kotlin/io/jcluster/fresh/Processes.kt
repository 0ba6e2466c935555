package io.jcluster.fresh

import java.nio.file.Files
import java.nio.file.Path
import java.util.Collections
import java.util.concurrent.TimeUnit
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds
import kotlin.time.TimeSource

/** Processes this spec starts: each is ended, with its descendants. */
internal object Processes {
    /** Kills [process] and every process it started (children first, so none is left to reparent). */
    fun kill(process: Process) {
        process.toHandle().descendants().forEach { it.destroyForcibly() }
        process.destroyForcibly()
        process.waitFor(10, TimeUnit.SECONDS)
    }

    /** Runs [command] in [dir] to its end (at most [timeout]); its exit code and output. */
    fun run(dir: Path, timeout: Duration, vararg command: String): Pair<Int, String> {
        val log = Files.createTempFile("fresh-run", ".log")
        val process = ProcessBuilder(*command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start()
        val done = process.waitFor(timeout.inWholeMilliseconds, TimeUnit.MILLISECONDS)
        if (!done) kill(process)
        val output = String(Files.readAllBytes(log)).also { Files.delete(log) }
        check(done) { "${command.joinToString(" ")} timed out after $timeout:\n$output" }
        return process.exitValue() to output
    }
}

/**
 * A started program whose output (stdout and stderr, its workers' included) is kept line by line,
 * so a test waits for a line instead of sleeping.
 */
internal class Running(dir: Path, vararg command: String) : AutoCloseable {
    private val process: Process = ProcessBuilder(*command).directory(dir.toFile()).redirectErrorStream(true).start()
    private val kept: MutableList<String> = Collections.synchronizedList(mutableListOf())
    private val reader = Thread({ process.inputStream.bufferedReader().forEachLine { kept += it } }, "fresh-output").apply { isDaemon = true; start() }

    /** The program's pid. */
    val pid: Long get() = process.pid()

    /** The output so far. */
    val output: String get() = synchronized(kept) { kept.joinToString("\n") }

    /** Whether it still runs. */
    val isAlive: Boolean get() = process.isAlive

    /** Waits until [done] holds for the output, or the program exits, for at most [timeout]; then says which. */
    fun awaitOutput(timeout: Duration, done: (String) -> Boolean): Boolean {
        val deadline = TimeSource.Monotonic.markNow() + timeout
        while (deadline.hasNotPassedNow()) {
            if (done(output)) return true
            if (!process.isAlive) { reader.join(1000); return done(output) }
            Thread.sleep(50)
        }
        return false
    }

    /** Sends [signal] (`HUP`, `TERM`) to the program. */
    fun signal(signal: String) = check(ProcessBuilder("kill", "-$signal", pid.toString()).start().waitFor() == 0) { "kill -$signal $pid failed" }

    /** Asks the program to close (`TERM`), then kills what is left of it and its children after 20 s. */
    override fun close() {
        val children = process.toHandle().descendants().toList()
        if (process.isAlive) signal("TERM")
        if (!process.waitFor(20.seconds.inWholeMilliseconds, TimeUnit.MILLISECONDS)) Processes.kill(process)
        children.forEach { it.destroyForcibly() }
        reader.join(2000)
    }
}
