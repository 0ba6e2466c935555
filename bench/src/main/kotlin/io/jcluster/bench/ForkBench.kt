package io.jcluster.bench

import io.jcluster.Cluster
import io.jcluster.ClusterSettings
import io.jcluster.Primary
import io.jcluster.Signal
import io.jcluster.Stdio
import io.jcluster.WorkerEvent
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import java.nio.file.Path
import kotlin.system.exitProcess
import kotlin.time.Duration.Companion.seconds

/**
 * `bench/run fork`: from `fork()` to the worker's `Online` event, median of [FORKS] sequential forks
 * (each worker killed before the next), with and without fast start, against Node's `cluster.fork()`.
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
        val node = NodePeer.run(nodeScript)?.get("fork_to_online_ms_median")
        val report = BenchReport("fork", listOf(
            BenchResult("fork_to_online_ms", fast, "ms", "node-cluster", node),
            BenchResult("fork_to_online_ms_without_fast_start", plain, "ms", "node-cluster", node),
        ))
        report.print()
        report.write(resultsDir)
        exitProcess(0)
    }

    private fun medianForkMillis(fastStart: Boolean): Double = runBlocking {
        val settings = ClusterSettings(mainClass = ForkBench::class.java.name, args = emptyList(), jvmArgs = emptyList(),
            stdio = Stdio.INHERIT, fastStart = fastStart)
        Primary(settings).use { primary ->
            val times = (1..WARMUP + FORKS).map {
                withTimeout(60.seconds) {
                    val online = async(start = CoroutineStart.UNDISPATCHED) { primary.events.first { it is WorkerEvent.Online } }
                    val start = System.nanoTime()
                    val worker = primary.fork()
                    online.await()
                    val millis = (System.nanoTime() - start) / 1e6
                    val exited = async(start = CoroutineStart.UNDISPATCHED) { primary.events.filter { it is WorkerEvent.Exited }.first() }
                    worker.kill(Signal.KILL)
                    exited.await()
                    millis
                }
            }
            val measured = times.drop(WARMUP).sorted()
            System.err.println("fork→online (fastStart=$fastStart): ${measured.joinToString { "%.0f".format(it) }} ms")
            measured[FORKS / 2]
        }
    }
}
