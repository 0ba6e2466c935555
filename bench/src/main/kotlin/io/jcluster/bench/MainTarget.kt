package io.jcluster.bench

import io.jcluster.ClusterSettings
import io.jcluster.SharingStrategy
import java.net.URI
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * A cluster doing the main job that `bench/run main` measures: how to start it on a port, and how to
 * ask it, after the load, how many requests each worker served (the balance). Both print the
 * [ClusterLine.Listening] lines and `numReqs = N` every second.
 */
sealed class MainTarget(val key: String, val label: String) {
    /** The command that starts it on [port]; [metricsPort] is free for a metrics endpoint if it has one. */
    abstract fun command(port: Int, metricsPort: Int): List<String>

    /** Requests served by each worker so far, busiest first. */
    abstract fun requestsPerWorker(server: ServerProcess, metricsPort: Int): List<Long>

    open val isNode: Boolean get() = false

    override fun toString() = label

    /**
     * bin/hello-cluster as it ships (a warm standby per worker, its `numReqs` printer) with [strategy]. The
     * requests per worker come from its metrics endpoint (`--metrics-port`): each worker's count as
     * of its last heartbeat answer, which is why the driver waits a heartbeat after the load.
     */
    class Hello(private val strategy: SharingStrategy) : MainTarget(
        "hello_${strategy.configName.replace('-', '_')}",
        "hello-cluster $strategy" + if (strategy == ClusterSettings().strategy) " (default)" else "",
    ) {
        override fun command(port: Int, metricsPort: Int) = listOf("bin/hello-cluster", "--port", "$port",
            "--workers", "${MainBench.WORKERS}", "--strategy", strategy.configName, "--metrics-port", "$metricsPort")

        override fun requestsPerWorker(server: ServerProcess, metricsPort: Int): List<Long> {
            val text = URI("http://127.0.0.1:$metricsPort/metrics").toURL().readText()
            return WORKER_REQUESTS.findAll(text).map { it.groupValues[1].toDouble().toLong() }.toList().sortedDescending()
        }

        private companion object {
            val WORKER_REQUESTS = Regex("""(?m)^jcluster_worker_requests_total\{[^}]*} (\S+)$""")
        }
    }

    /**
     * Node's cluster example (bench/node/main-cluster.js) under [policy]; its primary counts the
     * notifies of each worker, and prints them on `SIGUSR2` as `per worker: PID=N …`.
     */
    class Node(private val script: Path, private val policy: String) : MainTarget("node_$policy", "node $policy") {
        override val isNode: Boolean get() = true

        override fun command(port: Int, metricsPort: Int) = listOf("env", "NODE_CLUSTER_SCHED_POLICY=$policy",
            "node", "$script", "--port", "$port", "--workers", "${MainBench.WORKERS}")

        override fun requestsPerWorker(server: ServerProcess, metricsPort: Int): List<Long> {
            check(ProcessBuilder("kill", "-USR2", "${server.pid}").start().waitFor() == 0) { "kill -USR2 ${server.pid} failed" }
            val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10)
            while (true) {
                val line = server.next(deadline, "`per worker:` line after SIGUSR2").text
                if (!line.startsWith(PER_WORKER)) continue
                val counts = line.removePrefix(PER_WORKER).trim().split(' ').filter { it.isNotEmpty() }
                return counts.map { it.substringAfter('=').toLong() }.sortedDescending()
            }
        }

        private companion object {
            const val PER_WORKER = "per worker:"
        }
    }

    companion object {
        /** hello-cluster under each strategy, then Node's default (rr on Linux) and `none`. */
        fun all(nodeScript: Path): List<MainTarget> =
            SharingStrategy.entries.map(::Hello) + if (nodeAvailable()) listOf(Node(nodeScript, "rr"), Node(nodeScript, "none")) else emptyList()

        private fun nodeAvailable(): Boolean = runCatching { ProcessBuilder("node", "--version").start().waitFor() == 0 }
            .getOrDefault(false).also { if (!it) System.err.println("node not found: Node's cluster is left out") }
    }
}
