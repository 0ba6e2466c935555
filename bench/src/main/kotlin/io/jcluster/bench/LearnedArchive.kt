package io.jcluster.bench

import io.jcluster.internal.StartupTraining
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.isDirectory
import kotlin.io.path.listDirectoryEntries
import kotlin.io.path.name

/**
 * Brings bin/hello-cluster's fast start to where a user's second start of the same build finds it:
 * the class-data archive learned from a worker (written when that worker exits, checked at the next
 * start) in place. Starts and stops the cluster until one of its workers maps that archive, at most
 * [MAX_STARTS] times, so the figures after it are the steady state, not the build's first start.
 *
 * Each start stays up while fast start trains or checks an archive (a training JVM runs under the
 * primary, or a `.tmp` file is in the cache: an archive being dumped, or a learned one left to
 * check): stopped sooner, the primary would take that work down with it, and no number of starts
 * would ever finish it.
 */
object LearnedArchive {
    private const val MAX_STARTS = 6
    private const val FILE_NAME = "worker-app.jsa"
    private const val ARCHIVE_WORK_SECONDS = 60L

    /** Primes the cache for [command] (the cluster on a port, given by [ReloadTarget.command]'s shape); prints what it did. */
    fun prime(command: (Int) -> List<String>, workers: Int) {
        for (start in 1..MAX_STARTS) {
            val port = ServerProcess.freePort()
            val mapped = ServerProcess.start(command(port), Process::destroy).use { server ->
                val cluster = SupervisedCluster(server, workers).apply { awaitListening() }
                awaitArchiveWork(server.pid)
                cluster.liveWorkers().count { mapsLearnedArchive(it.pid()) }
            }
            if (mapped > 0) {
                println("   fast start: $mapped of $workers workers mapped the learned archive at start $start")
                return
            }
        }
        println("   fast start: no worker mapped a learned archive after $MAX_STARTS starts; figures are the first start's")
    }

    /** Waits, [ARCHIVE_WORK_SECONDS] at most, until [primary] trains or checks no archive. */
    private fun awaitArchiveWork(primary: Long) {
        val deadline = System.nanoTime() + ARCHIVE_WORK_SECONDS * 1_000_000_000
        while ((trainingUnder(primary) || partialInCache()) && System.nanoTime() < deadline) Thread.sleep(200)
    }

    /** Whether a JVM under [primary] runs fast start's training (`StartupTraining`: the first archive, or the check of a learned one). */
    private fun trainingUnder(primary: Long): Boolean =
        ProcessHandle.of(primary).map { it.descendants().anyMatch { child -> StartupTraining::class.java.name in commandLine(child.pid()) } }.orElse(false)

    private fun commandLine(pid: Long): List<String> =
        runCatching { String(Files.readAllBytes(Path.of("/proc/$pid/cmdline"))).split('\u0000') }.getOrDefault(emptyList())

    private fun partialInCache(): Boolean = runCatching {
        cacheRoot().takeIf { it.isDirectory() }?.listDirectoryEntries()?.filter { it.isDirectory() }
            ?.any { build -> build.listDirectoryEntries().any { it.name.endsWith(".tmp") } } ?: false
    }.getOrDefault(false)

    /** Fast start's cache, by its rule (`SharedArchiveFastStart`): `$XDG_CACHE_HOME/jcluster`, else `~/.cache/jcluster`. */
    private fun cacheRoot(): Path =
        (System.getenv("XDG_CACHE_HOME")?.let { Path.of(it) } ?: Path.of(System.getProperty("user.home"), ".cache")).resolve("jcluster")

    private fun mapsLearnedArchive(pid: Long): Boolean =
        runCatching { Files.readAllLines(Path.of("/proc/$pid/maps")).any { it.endsWith("/$FILE_NAME") } }.getOrDefault(false)
}
