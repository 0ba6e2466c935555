package io.jcluster.bench

import io.jcluster.SharingStrategy

/**
 * The figures of `bench/run http`: tables, the issue's targets, and bench/results/http.json. Every
 * JVM figure is set against the single JVM with the same adapter (the baseline) and against Node's
 * best policy for that mode (the one with more requests/s; its latencies and errors come with it).
 */
class HttpReport(private val measured: Map<HttpTarget, Measurement>, private val seconds: Int, private val rounds: Int) {
    private enum class Mode(val key: String, val title: String, val of: (Measurement) -> WrkResult) {
        KEEP_ALIVE("keepalive", "keep-alive", Measurement::keepAlive),
        CLOSE("close", "Connection: close", Measurement::close),
    }

    private val node = measured.filterKeys { it is HttpTarget.Node }

    private fun nodeBest(mode: Mode): Pair<HttpTarget, WrkResult>? =
        node.map { (target, m) -> target to mode.of(m) }.maxByOrNull { it.second.requestsPerSecond }

    private fun nodeBestRolling(): Pair<HttpTarget, Rolling>? =
        node.mapNotNull { (target, m) -> m.rolling?.let { target to it } }.minByOrNull { it.second.load.failed }

    private fun single(target: HttpTarget): Pair<HttpTarget, Measurement>? = adapterOf(target)?.let { adapter ->
        measured.entries.firstOrNull { (t, _) -> t is HttpTarget.Single && t.adapter == adapter }?.toPair()
    }

    /** The adapter of a target measured against its single JVM. */
    private fun adapterOf(target: HttpTarget): HelloWorld? = when (target) {
        is HttpTarget.Clustered -> target.adapter
        is HttpTarget.OneWorker -> target.adapter
        is HttpTarget.Sticky -> target.adapter
        else -> null
    }

    private fun clustered(adapter: HelloWorld, strategy: SharingStrategy): Measurement? =
        measured.entries.firstOrNull { (t, _) -> t is HttpTarget.Clustered && t.adapter == adapter && t.strategy == strategy }?.value

    fun toBenchReport(): BenchReport = BenchReport("http", measured.flatMap { (target, m) ->
        Mode.entries.flatMap { mode -> figures(target, mode, mode.of(m)) } + rollingFigures(target, m.rolling)
    } + stickyFigures())

    /** Each adapter's sticky req/s over its round-robin req/s, per mode (a ratio; the baseline names the round-robin target). */
    private fun stickyFigures(): List<BenchResult> = measured.entries.mapNotNull { (t, m) -> (t as? HttpTarget.Sticky)?.let { it to m } }.flatMap { (target, m) ->
        val rr = clustered(target.adapter, SharingStrategy.ROUND_ROBIN) ?: return@flatMap emptyList()
        Mode.entries.map { mode ->
            val rrKey = "${target.adapter}_round_robin"
            BenchResult("${target.key}_${mode.key}_vs_round_robin", mode.of(m).requestsPerSecond / mode.of(rr).requestsPerSecond, "x", baseline = rrKey)
        }
    }

    private fun figures(target: HttpTarget, mode: Mode, result: WrkResult): List<BenchResult> {
        val peer = nodeBest(mode)?.takeIf { target !is HttpTarget.Node }
        val base = single(target)?.let { (t, m) -> t to mode.of(m) }
        fun figure(name: String, unit: String, of: (WrkResult) -> Double) = BenchResult("${target.key}_${mode.key}_$name", of(result), unit,
            peer?.first?.key, peer?.second?.let(of), base?.first?.key, base?.second?.let(of))
        return listOf(
            figure("rps", "req/s") { it.requestsPerSecond },
            figure("p50_ms", "ms") { it.p50Millis },
            figure("p99_ms", "ms") { it.p99Millis },
            figure("failed", "requests") { it.failed.toDouble() },
        )
    }

    private fun rollingFigures(target: HttpTarget, rolling: Rolling?): List<BenchResult> {
        rolling ?: return emptyList()
        val peer = nodeBestRolling()?.takeIf { target !is HttpTarget.Node }
        return listOf(
            BenchResult("${target.key}_rolling_failed", rolling.load.failed.toDouble(), "requests", peer?.first?.key, peer?.second?.load?.failed?.toDouble()),
            BenchResult("${target.key}_rolling_rps", rolling.load.requestsPerSecond, "req/s", peer?.first?.key, peer?.second?.load?.requestsPerSecond),
            BenchResult("${target.key}_rolling_ms", rolling.millis.toDouble(), "ms", peer?.first?.key, peer?.second?.millis?.toDouble()),
        )
    }

    fun print() {
        Mode.entries.forEach(::printMode)
        printRolling()
        printTargets()
    }

    private fun printMode(mode: Mode) {
        println("\n${mode.title}: wrk -t${Wrk.THREADS} -c${Wrk.CONNECTIONS} -d${seconds}s, median of $rounds rounds, ${HttpTarget.WORKERS} workers; ratios of req/s; " +
            "others: cores other processes used meanwhile")
        println("%-24s %10s %8s %8s %8s %10s %10s %7s".format("target", "req/s", "p50 ms", "p99 ms", "failed", "vs single", "vs node", "others"))
        val best = nodeBest(mode)?.second?.requestsPerSecond
        measured.forEach { (target, m) ->
            val r = mode.of(m)
            val single = single(target)?.let { mode.of(it.second).requestsPerSecond }
            println("%-24s %10.0f %8.2f %8.2f %8d %10s %10s %7.2f".format(target.label, r.requestsPerSecond, r.p50Millis, r.p99Millis, r.failed,
                ratio(r.requestsPerSecond, single), ratio(r.requestsPerSecond, best.takeIf { target !is HttpTarget.Node }), m.otherCores))
        }
    }

    private fun printRolling() {
        println("\nrolling replacement of both workers under keep-alive load (fork new, wait listening, disconnect old)")
        println("%-24s %8s %10s %11s  %s".format("target", "failed", "req/s", "replace ms", "errors"))
        measured.forEach { (target, m) ->
            val r = m.rolling ?: return@forEach
            println("%-24s %8d %10.0f %11d  %s".format(target.label, r.load.failed, r.load.requestsPerSecond, r.millis, r.load.errorDetail))
        }
    }

    /** The issue's targets, stated against this run's figures. */
    private fun printTargets() {
        println("\ntargets")
        Mode.entries.forEach(::printBest)
        HelloWorld.entries.forEach(::printRoundRobin)
        HelloWorld.entries.forEach(::printSticky)
        measured.keys.filterIsInstance<HttpTarget.OneWorker>().forEach(::printOneWorker)
        val rolling = measured.filter { (t, m) -> (t is HttpTarget.Clustered || t is HttpTarget.Sticky) && m.rolling != null }
        val clean = rolling.count { it.value.rolling!!.load.failed == 0L }
        println("  rolling replacement: $clean of ${rolling.size} clusters with 0 failed requests (target: 0); " +
            node.entries.joinToString { (t, m) -> "$t ${m.rolling?.load?.failed ?: "-"} failed" })
        val disturbed = measured.filterValues { it.otherCores > DISTURBED_CORES }.keys
        if (disturbed.isNotEmpty()) println("  warning: other processes took over $DISTURBED_CORES cores while measuring ${disturbed.joinToString()}; run again on a quiet machine")
    }

    /** The cluster with the most requests/s in [mode], against its single JVM (≥ 1.0×) and Node's best (≥ 1.5×). */
    private fun printBest(mode: Mode) {
        val best = measured.entries.filter { it.key is HttpTarget.Clustered }.maxByOrNull { mode.of(it.value).requestsPerSecond } ?: return
        val rps = mode.of(best.value).requestsPerSecond
        val single = single(best.key)?.let { mode.of(it.second).requestsPerSecond }
        val node = nodeBest(mode)
        println("  ${mode.title}: best ${best.key} ${"%.0f".format(rps)} req/s = ${ratio(rps, single)} single JVM (target 1.0x: ${verdict(rps, single, 1.0)}), " +
            "${ratio(rps, node?.second?.requestsPerSecond)} ${node?.first ?: "node"} (target 1.5x: ${verdict(rps, node?.second?.requestsPerSecond, 1.5)})")
    }

    /** Round-robin against shared with keep-alive (≥ 0.8×). */
    private fun printRoundRobin(adapter: HelloWorld) {
        val rr = clustered(adapter, SharingStrategy.ROUND_ROBIN)?.keepAlive?.requestsPerSecond ?: return
        val shared = clustered(adapter, SharingStrategy.SHARED)?.keepAlive?.requestsPerSecond
        println("  $adapter keep-alive round-robin = ${ratio(rr, shared)} shared (target 0.8x: ${verdict(rr, shared, 0.8)})")
    }

    /** Not a target: what sticky sessions (keyed by a peeked cookie) cost against plain round-robin, per mode. */
    private fun printSticky(adapter: HelloWorld) {
        val sticky = measured.entries.firstOrNull { (t, _) -> t is HttpTarget.Sticky && t.adapter == adapter }?.value ?: return
        val rr = clustered(adapter, SharingStrategy.ROUND_ROBIN) ?: return
        println("  $adapter sticky (cookie) = ${Mode.entries.joinToString { "${StickyCost.ratio(it.of(sticky), it.of(rr))} round-robin ${it.title}" }} " +
            "(what routing by a peeked cookie costs)")
    }

    /** Not a target: what being a worker costs, as one worker with every processor against the single JVM. */
    private fun printOneWorker(target: HttpTarget.OneWorker) {
        val one = measured.getValue(target)
        val single = single(target)?.second ?: return
        println("  ${target.adapter} 1 worker = ${Mode.entries.joinToString { "${ratio(it.of(one).requestsPerSecond, it.of(single).requestsPerSecond)} single JVM ${it.title}" }} " +
            "(what serving as a worker costs; the rest of a 2-worker cluster's gap is two processes instead of one)")
    }

    private fun ratio(value: Double, of: Double?) = of?.takeIf { it > 0 }?.let { "%.2fx".format(value / it) } ?: ""

    private fun verdict(value: Double, of: Double?, target: Double) = when {
        of == null || of <= 0 -> "n/a"
        value / of >= target -> "met"
        else -> "missed"
    }

    private companion object {
        const val DISTURBED_CORES = 0.2
    }
}
