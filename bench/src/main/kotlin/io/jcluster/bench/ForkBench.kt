package io.jcluster.bench

import io.jcluster.Cluster
import io.jcluster.ClusterSettings
import io.jcluster.Primary
import io.jcluster.Signal
import io.jcluster.Stdio
import io.jcluster.WorkerEvent
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import java.nio.file.Files
import java.nio.file.Path
import kotlin.system.exitProcess
import kotlin.time.Duration.Companion.seconds

/**
 * `bench/run fork`: from `fork()` to the worker's `Online` event, median of [FORKS] sequential forks
 * (each worker killed before the next), with and without fast start, and with fast start for workers
 * on JDK 25 (its AOT cache) where [JDK_25] is installed, against Node's `cluster.fork()`. With fast
 * start, the warm-up goes on until a worker maps the archive (trained in the background by the first fork).
 */
object ForkBench {
    private const val WARMUP = 2
    private const val FORKS = 10

    @JvmStatic
    fun main(args: Array<String>) {
        if (Cluster.isWorker) return // a bench worker: online by touching Cluster, alive until killed
        val nodeScript = Path.of(args.getOrElse(0) { "bench/node/fork-peer.js" })
        val resultsDir = Path.of(args.getOrElse(1) { "bench/results" })
        val fast = medianForkMillis(fastStart = true)
        val plain = medianForkMillis(fastStart = false)
        val jdk25 = JDK_25.takeIf(Files::isExecutable)?.let { medianForkMillis(fastStart = true, java = it) }
        val node = NodePeer.run(nodeScript)?.get("fork_to_online_ms_median")
        val report = BenchReport("fork", listOfNotNull(
            BenchResult("fork_to_online_ms", fast, "ms", "node-cluster", node),
            BenchResult("fork_to_online_ms_without_fast_start", plain, "ms", "node-cluster", node),
            jdk25?.let { BenchResult("fork_to_online_ms_jdk25", it, "ms", "node-cluster", node) },
        ))
        report.print()
        report.write(resultsDir)
        exitProcess(0)
    }

    private fun medianForkMillis(fastStart: Boolean, java: Path? = null): Double = runBlocking {
        val defaults = ClusterSettings(mainClass = ForkBench::class.java.name, args = emptyList(), jvmArgs = emptyList(),
            stdio = Stdio.INHERIT, fastStart = fastStart)
        val settings = java?.let { defaults.copy(java = it) } ?: defaults
        val label = "fastStart=$fastStart" + (java?.let { ", $it" } ?: "")
        Primary(settings).use { primary ->
            repeat(WARMUP) { forkOnline(primary) }
            val warmUps = WARMUP + if (fastStart) forksUntilArchiveMapped(primary) else 0
            val forks = List(FORKS) { forkOnline(primary) }
            System.err.println("fork→online ($label, $warmUps warm-up forks, archive mapped by ${forks.count { it.mapsArchive }} of $FORKS): " +
                forks.map { it.millis }.joinToString { "%.0f".format(it) } + " ms")
            forks.map { it.millis }.sorted()[FORKS / 2]
        }
    }

    /** Forks until a worker maps the archive (at most [ARCHIVE_WAIT_NANOS]); how many it took. */
    private suspend fun forksUntilArchiveMapped(primary: Primary): Int {
        val deadline = System.nanoTime() + ARCHIVE_WAIT_NANOS
        var forks = 1
        while (!forkOnline(primary).mapsArchive && System.nanoTime() < deadline) forks++
        return forks
    }

    /** Forks a worker, times it to `Online`, notes whether it mapped a fast-start archive, and kills it. */
    private suspend fun forkOnline(primary: Primary): Fork = coroutineScope {
        withTimeout(60.seconds) {
            val online = async(start = CoroutineStart.UNDISPATCHED) { primary.events.first { it is WorkerEvent.Online } }
            val start = System.nanoTime()
            val worker = primary.fork()
            online.await()
            val millis = (System.nanoTime() - start) / 1e6
            val maps = runCatching { Files.readString(Path.of("/proc/${worker.pid}/maps")) }.getOrDefault("")
            val exited = async(start = CoroutineStart.UNDISPATCHED) { primary.events.filter { it is WorkerEvent.Exited }.first() }
            worker.kill(Signal.KILL)
            exited.await()
            Fork(millis, ARCHIVES.any { it in maps })
        }
    }

    private class Fork(val millis: Double, val mapsArchive: Boolean)

    private val JDK_25: Path = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java")
    private val ARCHIVES = listOf("worker.jsa", "worker.aot")
    private const val ARCHIVE_WAIT_NANOS = 90_000_000_000L
}
