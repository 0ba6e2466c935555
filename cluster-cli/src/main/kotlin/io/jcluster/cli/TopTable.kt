package io.jcluster.cli

import io.jcluster.ClusterStats
import io.jcluster.WorkerStats

/**
 * One reading for `jcluster top`: the cluster's [stats], when they were read ([nanos], monotonic) and
 * each worker's CPU time so far ([cpuNanos] by pid), which this client reads from the process table
 * of its own host ([ProcessHandle.Info.totalCpuDuration], `/proc/<pid>/stat` on Linux).
 */
internal class TopSample(val stats: ClusterStats, val nanos: Long, val cpuNanos: Map<Long, Long>) {
    companion object {
        fun take(stats: ClusterStats): TopSample = TopSample(
            stats, System.nanoTime(),
            stats.workers.mapNotNull { w -> w.pid?.let { pid -> cpuTime(pid)?.let { pid to it } } }.toMap(),
        )

        /** Null if the process is gone or not this user's to inspect. */
        private fun cpuTime(pid: Long): Long? =
            ProcessHandle.of(pid).flatMap { it.info().totalCpuDuration() }.map { it.toNanos() }.orElse(null)
    }
}

/**
 * `jcluster top`'s frame: a header with the cluster's totals, then a row per worker: its CPU since the
 * [previous] reading, its requests per second since [baseline] (an older reading: request counts come
 * with the workers' heartbeats, every few seconds, so a rate over one second would jump).
 */
internal object TopTable {
    private val HEADER = listOf("id", "slot", "pid", "state", "cpu", "heap", "rss", "req/s", "restarts")

    fun render(now: TopSample, previous: TopSample?, baseline: TopSample? = previous): String {
        val rates = Rates(now, previous, baseline)
        val rows = listOf(HEADER) + now.stats.workers.map { row(it, rates) }
        val widths = HEADER.indices.map { column -> rows.maxOf { it[column].length } }
        val table = rows.joinToString("\n") { cells -> cells.mapIndexed { i, cell -> cell.padEnd(widths[i]) }.joinToString("  ").trimEnd() }
        return "${header(now.stats, rates)}\n$table"
    }

    /** The intervals of a frame: [cpuSeconds] since the previous reading, [requestSeconds] since the baseline. */
    private class Rates(val now: TopSample, val previous: TopSample?, val baseline: TopSample?) {
        val cpuSeconds = seconds(previous)
        val requestSeconds = seconds(baseline)
        val before: Map<Int, WorkerStats> = baseline?.stats?.workers?.associateBy { it.id } ?: emptyMap()
        private fun seconds(then: TopSample?) = then?.let { (now.nanos - it.nanos) / 1e9 }?.takeIf { it > 0 }
    }

    private fun header(stats: ClusterStats, rates: Rates): String {
        val rate = rate(stats.requests, rates.baseline?.stats?.requests, rates.requestSeconds)
        return "primary ${stats.pid}: ${stats.state.name.lowercase()}, up ${StatusTable.duration(stats.uptimeMillis)}, " +
            "${stats.workers.count { it.active }}/${stats.wanted} workers ready, ${stats.restarts} restarts, ${stats.requests} requests, $rate req/s"
    }

    private fun row(w: WorkerStats, rates: Rates): List<String> {
        val cpu = w.pid?.let { pid ->
            val used = rates.now.cpuNanos[pid]?.minus(rates.previous?.cpuNanos?.get(pid) ?: return@let null)
            if (used == null || rates.cpuSeconds == null) null else "%.1f%%".format(used / 1e9 / rates.cpuSeconds * 100)
        }
        return listOf(
            "${w.id}",
            w.slot?.toString() ?: "-",
            w.pid?.toString() ?: "-",
            w.state + if (w.active) "" else if (w.ready) " (retiring)" else " (booting)",
            cpu ?: "-",
            StatusTable.bytes(w.heapBytes),
            StatusTable.bytes(w.rssBytes),
            rate(w.requests, rates.before[w.id]?.requests, rates.requestSeconds),
            "${w.restarts}",
        )
    }

    /** Per second between two counts; `-` without both. Requests come with heartbeats, so the rate moves in steps. */
    private fun rate(now: Long?, before: Long?, seconds: Double?): String =
        if (now == null || before == null || seconds == null) "-" else "%.1f".format((now - before).coerceAtLeast(0) / seconds)
}
