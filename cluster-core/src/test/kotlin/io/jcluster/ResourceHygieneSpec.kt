package io.jcluster

import io.jcluster.internal.SharedArchiveFastStart
import io.jcluster.ipc.Handle
import io.jcluster.ipc.Ipc
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldNotBeEmpty
import io.kotest.matchers.ints.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.future.await
import kotlinx.coroutines.withTimeout
import java.io.File
import java.net.InetAddress
import java.net.InetSocketAddress
import java.nio.channels.ServerSocketChannel
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import kotlin.io.path.listDirectoryEntries
import kotlin.io.path.name
import kotlin.time.Duration.Companion.seconds

/**
 * The primary leaks nothing: open descriptors (`/proc/self/fd`) and threads (`/proc/self/task`) stay
 * flat across worker fork/exit cycles and handle hand-offs, and its temporary files go when it does,
 * or, after a SIGKILL, when the next primary starts.
 *
 * Why not 1,000 worker JVMs: at ~0.5–1 s each on a shared 2-core CI machine that is 10–15 minutes.
 * A leak per cycle lives either in the launcher path (process, stdio pipes and their pump threads, exit
 * watcher, the loop's records) or in the connection path (accepted socket, reader and writer threads
 * and selectors, lanes). So: 1,000 cycles of a trivial process (`/bin/true` as the worker's `java`)
 * through the real launcher and the primary's loop, which exercise the first path at full count, and
 * 20 real worker JVMs that connect, come online and exit, which exercise the second. A leak of one
 * descriptor or thread per cycle shows as +1,000 or +20; threads get a small allowance (+8: +5 was seen
 * on a loaded machine) because
 * the JDK's process-reaper and the coroutine pools keep idle threads for a while.
 */
class ResourceHygieneSpec : FunSpec({
    timeout = 180_000

    test("1,000 trivial worker processes and 20 worker JVMs forked and exited leave the primary's fds and threads where they were") {
        Primary(testSettings("exit:0")).use { primary ->
            primary.recording { log ->
                suspend fun cycle(batch: Int) = List(batch) { primary.fork() }.forEach { log.awaitGone(it) }

                cycle(2) // warm up: the control socket, the IPC classes, the first pool threads
                val jvmBefore = Usage.now()
                repeat(10) { cycle(2) }
                val jvmAfter = Usage.now()

                primary.setup { it.copy(java = Path.of("/bin/true")) } // exits at once, never connects
                cycle(10)
                val trueBefore = Usage.now()
                repeat(100) { cycle(10) }
                val trueAfter = Usage.now()

                println("resource hygiene: 20 worker JVMs: $jvmBefore → $jvmAfter; 1,000 processes through the launcher: $trueBefore → $trueAfter")
                jvmAfter.fds shouldBeLessThanOrEqual jvmBefore.fds + FD_ALLOWANCE
                jvmAfter.threads shouldBeLessThanOrEqual jvmBefore.threads + THREAD_ALLOWANCE
                trueAfter.fds shouldBeLessThanOrEqual trueBefore.fds + FD_ALLOWANCE
                trueAfter.threads shouldBeLessThanOrEqual trueBefore.threads + THREAD_ALLOWANCE
            }
        }
    }

    test("100,000 handles sent to a worker leave the primary's fds and threads where they were") {
        withCluster(testSettings("drop-handles")) { primary, log ->
            val worker = primary.fork()
            log.await<WorkerEvent.Online>(worker)
            ServerSocketChannel.open().bind(InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).use { listener ->
                suspend fun handOff(count: Int, round: Int) {
                    repeat(count) { worker.send(Ping(-1), Handle.TcpListener(listener)) }
                    worker.send(Ping(round)) // answered only after every handle before it was taken and closed
                    log.await<WorkerEvent.Message>(worker) { it.payload == Pong(round, worker.id) }
                }
                handOff(200, 0)
                val before = Usage.now()
                val started = System.nanoTime()
                handOff(100_000, 1)
                val seconds = (System.nanoTime() - started) / 1e9
                val after = Usage.now()
                println("resource hygiene: 100,000 hand-offs in %.1f s: %s → %s".format(seconds, before, after))
                after.fds shouldBeLessThanOrEqual before.fds + FD_ALLOWANCE
                after.threads shouldBeLessThanOrEqual before.threads + THREAD_ALLOWANCE
            }
        }
    }

    test("a primary killed with SIGKILL leaves its socket directory; the next primary removes it, and its own on exit") {
        val scratch = Files.createTempDirectory("jcluster-leftovers")
        val started = mutableListOf<ChildPrimary>()
        try {
            val killed = ChildPrimary(scratch, "wait").also { started += it }
            val killedWorkers = killed.workerPids()
            killed.process.destroyForcibly()
            withTimeout(20.seconds) { (listOf(killed.process.toHandle()) + killedWorkers.mapNotNull { ProcessHandle.of(it).orElse(null) }).forEach { it.onExit().await() } }
            withClue("what the killed primary left") { scratch.listDirectoryEntries("jcluster-${killed.pid}-*").shouldNotBeEmpty() }

            val next = ChildPrimary(scratch, "exit").also { started += it }
            next.workerPids()
            withClue("the killed primary's directory once the next one runs") { scratch.listDirectoryEntries("jcluster-${killed.pid}-*").shouldBeEmpty() }
            next.end()
            withTimeout(30.seconds) { next.process.onExit().await() }.exitValue() shouldBe 0
            withClue("what is left in the temporary directory") { scratch.listDirectoryEntries("jcluster-*").map { it.name }.shouldBeEmpty() }
            println("resource hygiene: left in java.io.tmpdir after both primaries: ${scratch.listDirectoryEntries().map { it.name }}")
        } finally {
            started.forEach { it.kill() }
            scratch.toFile().deleteRecursively()
        }
    }

    test("fast start's partial files of a primary that is gone are removed at the next start; a live one's stay") {
        val cache = Files.createTempDirectory("jcluster-cache")
        try {
            val fastStart = SharedArchiveFastStart(cache)
            val settings = testSettings("idle").copy(fastStart = true)
            fastStart.flags(settings)
            val dir = cache.listDirectoryEntries().single { Files.isDirectory(it) }
            val dead = ProcessBuilder("true").start().also { it.waitFor() }.pid()
            val mine = ProcessHandle.current().pid()
            val left = listOf("worker.jsa.$dead.tmp", "lib.$dead.123456.tmp").map { Files.createFile(dir.resolve(it)) }
            val live = listOf("worker.jsa.$mine.tmp", "lib.$mine.654321.tmp").map { Files.createFile(dir.resolve(it)) }
            fastStart.flags(settings)
            left.filter { Files.exists(it) }.shouldBeEmpty()
            live.filterNot { Files.exists(it) }.shouldBeEmpty()
        } finally {
            cache.toFile().deleteRecursively()
        }
    }
})

private const val THREAD_ALLOWANCE = 8

/**
 * The test JVM's own descriptors that may come and go meanwhile (a jar or an epoll set opened lazily,
 * a surefire pipe): a leak of one per worker or per hand-off would show as 20 to 100,000.
 */
private const val FD_ALLOWANCE = 4

/** This process's open descriptors and threads. */
private data class Usage(val fds: Int, val threads: Int) {
    override fun toString(): String = "$fds fds, $threads threads"

    companion object {
        fun now(): Usage = Usage(File("/proc/self/fd").list()!!.size, File("/proc/self/task").list()!!.size)
    }
}

/** [OrphanTestPrimary] in a JVM of its own, its temporary files in [tmpdir]. */
private class ChildPrimary(tmpdir: Path, mode: String) {
    val process: Process = ProcessBuilder(
        listOf(Path.of(System.getProperty("java.home"), "bin", "java").toString()) + Ipc.jvmFlags + listOf(
            "-Djava.io.tmpdir=$tmpdir", "-cp", System.getProperty("java.class.path"), OrphanTestPrimary::class.java.name, mode,
        ),
    ).redirectError(ProcessBuilder.Redirect.INHERIT).start()

    val pid: Long get() = process.pid()

    /** The pids of its two workers, once both are online. */
    suspend fun workerPids(): List<Long> = withTimeout(30.seconds) {
        CompletableFuture.supplyAsync {
            val lines = process.inputStream.bufferedReader()
            generateSequence { lines.readLine() }.firstOrNull { it.startsWith(OrphanTestPrimary.PIDS) }
        }.await()
    }?.removePrefix(OrphanTestPrimary.PIDS)?.split(' ')?.map { it.toLong() } ?: error("primary $pid printed no worker pids")

    /** Lets it go on past its pause (in `exit` mode: return from main). */
    fun end() = process.outputStream.run { write("end\n".toByteArray()); flush() }

    /** Kills it and whatever it started, if still running. */
    fun kill() {
        process.descendants().forEach { it.destroyForcibly() }
        process.destroyForcibly()
        process.waitFor(10, TimeUnit.SECONDS)
    }
}
