package io.jcluster

import io.jcluster.ipc.Ipc
import io.kotest.assertions.fail
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.delay
import kotlinx.coroutines.future.await
import kotlinx.coroutines.withTimeout
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.CompletableFuture
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlin.time.TimeMark
import kotlin.time.TimeSource

/**
 * A worker never outlives its primary, however the primary ends (Node's test-cluster-primary-kill,
 * -primary-error): the primary runs [OrphanTestPrimary] in a JVM of its own, and every worker it
 * forked must be dead within a second of its exit.
 */
class NoOrphansSpec : FunSpec({
    timeout = 30_000

    test("workers die when the primary returns from main") {
        checkNoOrphans("exit", expectedExitValue = 0) {}
    }

    test("workers die when the primary's main throws") {
        checkNoOrphans("throw", expectedExitValue = 1) {}
    }

    test("workers die when the primary is terminated with TERM") {
        checkNoOrphans("wait", expectedExitValue = 128 + Signal.TERM.number) { it.destroy() }
    }

    test("workers die when the primary is killed with KILL") {
        checkNoOrphans("wait", expectedExitValue = 128 + Signal.KILL.number) { it.destroyForcibly() }
    }
})

/**
 * Starts [OrphanTestPrimary] in [mode], checks that its two workers run, [ends][end] it, and checks
 * that it exits with [expectedExitValue] and that each worker is dead within a second of that.
 * Whatever is left, primary or worker, is killed on the way out, and the primary's temporary files
 * deleted (a primary killed with KILL cannot delete its control socket's directory itself).
 */
private suspend fun checkNoOrphans(mode: String, expectedExitValue: Int, end: (Process) -> Unit) {
    val scratch = Files.createTempDirectory("jcluster-orphan-spec")
    val stderr = scratch.resolve("primary.stderr")
    val primary = startOrphanTestPrimary(mode, scratch, stderr)
    var pids = emptyList<Long>()
    try {
        pids = withTimeout(20.seconds) { workerPids(primary) }
            ?: fail("the primary printed no worker pids; its stderr:\n${Files.readString(stderr)}")
        pids shouldHaveSize 2
        pids.forEach { withClue("pid $it before the primary ends") { isRunningTestWorker(it) shouldBe true } }

        primary.outputStream.run { write("end\n".toByteArray()); flush() } // it may end now
        end(primary)
        withTimeout(15.seconds) { primary.onExit().await() }
        val deadline = TimeSource.Monotonic.markNow() + 1.seconds
        withClue("the primary's exit value; its stderr:\n${Files.readString(stderr)}") { primary.exitValue() shouldBe expectedExitValue }
        withClue("workers still alive a second after the primary exited") { pids.filterNot { awaitExit(it, deadline) }.shouldBeEmpty() }
    } finally {
        primary.destroyForcibly()
        pids.filter(::isRunningTestWorker).forEach { pid -> ProcessHandle.of(pid).ifPresent { it.destroyForcibly() } }
        scratch.toFile().deleteRecursively()
    }
}

/** Starts [OrphanTestPrimary] in [mode], its temporary files (the control socket among them) in [tmpdir]. */
private fun startOrphanTestPrimary(mode: String, tmpdir: Path, stderr: Path): Process = ProcessBuilder(
    listOf(Path.of(System.getProperty("java.home"), "bin", "java").toString()) + Ipc.jvmFlags + listOf(
        "-Djava.io.tmpdir=$tmpdir",
        "-cp", System.getProperty("java.class.path"),
        OrphanTestPrimary::class.java.name, mode,
    ),
).redirectError(stderr.toFile()).start()

/** The pids [OrphanTestPrimary] prints, or null if its stdout ends first. The read ends when the process does. */
private suspend fun workerPids(primary: Process): List<Long>? = CompletableFuture.supplyAsync {
    val lines = primary.inputStream.bufferedReader()
    generateSequence { lines.readLine() }.firstOrNull { it.startsWith(OrphanTestPrimary.PIDS) }
}.await()?.removePrefix(OrphanTestPrimary.PIDS)?.split(' ')?.map { it.toLong() }

/**
 * Whether [pid] has exited: it has no /proc entry, or it is a zombie (state Z). An orphaned worker stays a
 * zombie until PID 1 reaps it, and `ProcessHandle.isAlive` and `kill -0` still call a zombie alive.
 */
private fun hasExited(pid: Long): Boolean {
    val stat = try {
        Files.readString(Path.of("/proc/$pid/stat"))
    } catch (e: IOException) {
        return true
    }
    return stat.substringAfterLast(") ").firstOrNull() == 'Z' // the command name, in parentheses, may hold spaces
}

/** Whether [pid] is a live [TestWorker] (so that a pid reused by another process is never killed). */
private fun isRunningTestWorker(pid: Long): Boolean = !hasExited(pid) &&
    runCatching { Files.readString(Path.of("/proc/$pid/cmdline")) }.getOrDefault("").contains(TestWorker::class.java.name)

/** Polls [pid] every 20 ms until it has exited (true) or [deadline] has passed (false). */
private suspend fun awaitExit(pid: Long, deadline: TimeMark): Boolean {
    while (!hasExited(pid)) {
        if (deadline.hasPassedNow()) return false
        delay(20.milliseconds)
    }
    return true
}
