package io.jcluster.bench

import java.nio.file.Files
import java.nio.file.Path

/**
 * Brings bin/hello-cluster's fast start to where a user's second start of the same build finds it:
 * the class-data archive learned from a worker (written when that worker exits, checked at the next
 * start) in place. Starts and stops the cluster until one of its workers maps that archive, at most
 * [MAX_STARTS] times, so the figures after it are the steady state, not the build's first start.
 */
object LearnedArchive {
    private const val MAX_STARTS = 6
    private const val FILE_NAME = "worker-app.jsa"

    /** Primes the cache for [command] (the cluster on a port, given by [ReloadTarget.command]'s shape); prints what it did. */
    fun prime(command: (Int) -> List<String>, workers: Int) {
        for (start in 1..MAX_STARTS) {
            val port = ServerProcess.freePort()
            val mapped = ServerProcess.start(command(port), Process::destroy).use { server ->
                val cluster = SupervisedCluster(server, workers).apply { awaitListening() }
                cluster.liveWorkers().count { mapsLearnedArchive(it.pid()) }
            }
            if (mapped > 0) {
                println("   fast start: $mapped of $workers workers mapped the learned archive at start $start")
                return
            }
        }
        println("   fast start: no worker mapped a learned archive after $MAX_STARTS starts; figures are the first start's")
    }

    private fun mapsLearnedArchive(pid: Long): Boolean =
        runCatching { Files.readAllLines(Path.of("/proc/$pid/maps")).any { it.endsWith("/$FILE_NAME") } }.getOrDefault(false)
}
