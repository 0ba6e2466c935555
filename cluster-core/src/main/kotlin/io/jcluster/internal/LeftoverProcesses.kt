package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit

private val log = KotlinLogging.logger {}

/**
 * The processes a worker started and left behind when it exited: a shell command, a helper daemon, a
 * JVM of its own. Once the worker is gone they belong to no one (init adopts them), and a respawn or
 * a reload would pile them up; PM2 stops the whole tree for the same reason.
 *
 * They are found by the worker's token in their environment: every process the worker starts
 * inherits it (`JCLUSTER_TOKEN`, random per worker), even after a double fork, and no other process
 * has it. A process that cleared its environment, or that this user may not read, is not found.
 */
internal object LeftoverProcesses {
    private const val GRACE_MILLIS = 2_000L

    /** TERMs what the worker [workerId] with [token] left behind (not [workerPid]), and KILLs what is left after a grace. */
    fun stop(workerId: Int, token: String, workerPid: Long) {
        if (token.isEmpty()) return
        val left = find(token).filter { it.pid() != workerPid }
        if (left.isEmpty()) return
        log.warn { "worker $workerId left ${left.size} process(es) of its own running (pids ${left.joinToString { "${it.pid()}" }}): TERM, then KILL after ${GRACE_MILLIS / 1_000} s" }
        left.forEach { it.destroy() }
        CompletableFuture.runAsync({ left.filter { it.isAlive }.forEach { it.destroyForcibly() } }, CompletableFuture.delayedExecutor(GRACE_MILLIS, TimeUnit.MILLISECONDS))
    }

    /** The live processes whose environment holds [token] as `JCLUSTER_TOKEN`. */
    fun find(token: String): List<ProcessHandle> {
        val needle = "${WorkerEnvironment.TOKEN}=$token".toByteArray()
        val pids = Files.list(Path.of("/proc")).use { entries -> entries.map { it.fileName.toString() }.filter { it.all(Char::isDigit) }.toList() }
        return pids.filter { pid -> environ(pid)?.let { contains(it, needle) } == true }
            .mapNotNull { ProcessHandle.of(it.toLong()).orElse(null) }
    }

    private fun environ(pid: String): ByteArray? = try {
        Files.readAllBytes(Path.of("/proc", pid, "environ"))
    } catch (e: IOException) {
        null // gone meanwhile, or another user's
    }

    /** Whether [environ] (NUL-separated `NAME=value` entries) has the entry [entry]. */
    private fun contains(environ: ByteArray, entry: ByteArray): Boolean {
        var start = 0
        while (start < environ.size) {
            var end = start
            while (end < environ.size && environ[end] != 0.toByte()) end++
            if (end - start == entry.size && (0 until entry.size).all { environ[start + it] == entry[it] }) return true
            start = end + 1
        }
        return false
    }
}
