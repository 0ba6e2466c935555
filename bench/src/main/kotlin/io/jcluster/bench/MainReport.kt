package io.jcluster.bench

/** What `bench/run main` measured of one target (resident sets in bytes). */
data class MainFigures(
    val listeningMillis: Long,
    val idleRss: List<Long>,
    val loadedRss: List<Long>,
    val standbyRss: List<Long>,
    val primaryRss: Long,
    val cold: MainRound,
    val rounds: List<MainRound>,
    val requestsPerWorker: List<Long>,
) {
    fun warm(of: (MainRound) -> Double): Double = rounds.map(of).filterNot { it.isNaN() }.sorted().let { if (it.isEmpty()) Double.NaN else it[it.size / 2] }

    /** Requests of the busiest worker over the least busy one's (one that served none counts as one). */
    val balance: Double get() = requestsPerWorker.first().toDouble() / requestsPerWorker.last().coerceAtLeast(1)

    override fun toString() = "listening after $listeningMillis ms; RSS per worker idle ${mb(idleRss)}, loaded ${mb(loadedRss)}, " +
        "standby ${mb(standbyRss)}, primary ${mb(listOf(primaryRss))}; requests per worker $requestsPerWorker"
}

/** One target's figures, or why it has none. */
class MainOutcome(val target: MainTarget, val figures: Result<MainFigures>)

private fun mb(bytes: List<Long>) = bytes.joinToString("/", postfix = " MB") { "%.0f".format(it / 1e6) }.takeIf { bytes.isNotEmpty() } ?: "-"

/**
 * The figures of `bench/run main`: a table, the targets, and bench/results/main.json. The peer
 * of every hello-cluster figure is Node's default on Linux (`rr`, [PEER]): what a Node application
 * gets without asking. A target that failed is in the table with its reason and left out of the JSON.
 */
class MainReport(private val outcomes: List<MainOutcome>, private val rounds: Int) {
    private val peer = outcomes.firstOrNull { it.target.key == PEER }?.figures?.getOrNull()

    fun toBenchReport(): BenchReport = BenchReport("main", outcomes.flatMap { outcome ->
        val figures = outcome.figures.getOrNull() ?: return@flatMap emptyList()
        val peerFigures = peer?.takeIf { !outcome.target.isNode }
        val figure = Figures(outcome.target.key, figures, if (peerFigures != null) PEER else null, peerFigures)::figure
        listOfNotNull(
            figure("warm_rps", "req/s") { it.warm { r -> r.load.requestsPerSecond } },
            figure("warm_p50_ms", "ms") { it.warm { r -> r.load.p50Millis } },
            figure("warm_p99_ms", "ms") { it.warm { r -> r.load.p99Millis } },
            figure("cold_rps", "req/s") { it.cold.load.requestsPerSecond },
            figure("cold_p50_ms", "ms") { it.cold.load.p50Millis },
            figure("cold_p99_ms", "ms") { it.cold.load.p99Millis },
            figure("rss_idle_mb", "MB") { it.idleRss.max() / 1e6 },
            figure("rss_loaded_mb", "MB") { it.loadedRss.max() / 1e6 },
            figure("balance", "ratio") { it.balance },
            figure("primary_cpu_us_per_request", "us") { it.warm { r -> r.primaryMicrosPerRequest } },
            figure("cpu_us_per_request", "us") { it.warm { r -> r.allMicrosPerRequest } },
            figure("start_to_listening_ms", "ms") { it.listeningMillis },
            figure("failed", "requests") { f -> (f.rounds + f.cold).sumOf { it.load.failed } },
        )
    })

    fun print() {
        println("\nmain: keep-alive wrk -t${MainBench.THREADS} -c${MainBench.CONNECTIONS}, ${MainBench.WORKERS} workers; warm: median of $rounds rounds of ${MainBench.SECONDS} s; " +
            "cold: the first ${MainBench.SECONDS} s; RSS: the largest worker's; balance: busiest worker's requests / least busy's")
        println("%-30s %9s %6s %9s %9s %9s %9s %9s %9s %11s %8s %8s".format("target", "warm r/s", "vs rr", "p50 ms", "p99 ms",
            "cold r/s", "vs rr", "RSS idle", "loaded", "balance", "prim µs", "all µs"))
        outcomes.forEach { o ->
            o.figures.fold({ f ->
                println("%-30s %9.0f %6s %9.2f %9.2f %9.0f %6s %7.0fMB %7.0fMB %11s %8.1f %8.1f".format(o.target,
                    f.warm { it.load.requestsPerSecond }, ratio(o, f.warm { it.load.requestsPerSecond }) { it.warm { r -> r.load.requestsPerSecond } },
                    f.warm { it.load.p50Millis }, f.warm { it.load.p99Millis },
                    f.cold.load.requestsPerSecond, ratio(o, f.cold.load.requestsPerSecond) { it.cold.load.requestsPerSecond },
                    f.idleRss.max() / 1e6, f.loadedRss.max() / 1e6, "%.2f".format(f.balance),
                    f.warm { it.primaryMicrosPerRequest }, f.warm { it.allMicrosPerRequest }))
            }, { println("%-30s no result: %s".format(o.target, it.message)) })
        }
        printTargets()
    }

    private fun ratio(outcome: MainOutcome, value: Double, of: (MainFigures) -> Double): String =
        peer?.takeIf { !outcome.target.isNode }?.let(of)?.takeIf { it > 0 }?.let { "%.2fx".format(value / it) } ?: ""

    /** The targets, for each hello-cluster target (against Node's default). */
    private fun printTargets() {
        val peer = peer ?: return println("\n(no Node peer: the targets, ratios to Node's, cannot be stated)")
        println("\ntargets (against node rr in this run)")
        outcomes.filter { !it.target.isNode }.forEach { o ->
            val f = o.figures.getOrNull() ?: return@forEach
            val warm = f.warm { it.load.requestsPerSecond } / peer.warm { it.load.requestsPerSecond }
            val cold = f.cold.load.requestsPerSecond / peer.cold.load.requestsPerSecond
            val rss = f.loadedRss.max().toDouble() / peer.loadedRss.max()
            println("  %-30s warm %.2fx (target 1.5x: %s), cold %.2fx (1.0x: %s), loaded RSS %.2fx (at most 1.5x: %s), balance %.2f (at most 1.3: %s)".format(
                o.target, warm, verdict(warm >= 1.5), cold, verdict(cold >= 1.0), rss, verdict(rss <= 1.5), f.balance, verdict(f.balance <= 1.3)))
        }
    }

    private fun verdict(met: Boolean) = if (met) "met" else "missed"

    private companion object {
        const val PEER = "node_rr"
    }
}
