package io.jcluster.cli

import io.jcluster.ClusterStats
import io.jcluster.WorkerStats

/** `jcluster status`: a summary line, then one row per worker, like `pm2 list`. */
internal object StatusTable {
    private val HEADER = listOf("id", "slot", "pid", "state", "uptime", "restarts", "heap", "rss", "requests", "conns")

    fun render(stats: ClusterStats): String {
        val rows = listOf(HEADER) + stats.workers.map(::row)
        val widths = HEADER.indices.map { column -> rows.maxOf { it[column].length } }
        val table = rows.joinToString("\n") { cells -> cells.mapIndexed { i, cell -> cell.padEnd(widths[i]) }.joinToString("  ").trimEnd() }
        return "${summary(stats)}\n$table"
    }

    private fun summary(stats: ClusterStats): String {
        val reasons = stats.restartReasons.entries.sortedByDescending { it.value }
            .joinToString(", ") { "${it.key.name.lowercase()} ${it.value}" }.let { if (it.isEmpty()) "" else " ($it)" }
        val ready = stats.workers.count { it.active }
        return "primary ${stats.pid}: ${stats.state.name.lowercase()}, up ${duration(stats.uptimeMillis)}, " +
            "$ready/${stats.wanted} workers ready, ${stats.restarts} restarts$reasons, ${stats.requests} requests, ${stats.messages} messages" +
            if (stats.standbys.isEmpty()) "" else ", ${stats.standbys.size} standby (pid ${stats.standbys.joinToString(", ")})"
    }

    private fun row(w: WorkerStats) = listOf(
        "${w.id}",
        w.slot?.toString() ?: "-",
        w.pid?.toString() ?: "-",
        w.state + if (w.active) "" else if (w.ready) " (retiring)" else " (booting)",
        w.uptimeMillis?.let(::duration) ?: "-",
        "${w.restarts}",
        bytes(w.heapBytes),
        bytes(w.rssBytes),
        w.requests?.toString() ?: "-",
        w.openConnections?.toString() ?: "-",
    )

    fun duration(millis: Long): String {
        val s = millis / 1000
        return when {
            s < 60 -> "${s}s"
            s < 3600 -> "${s / 60}m ${s % 60}s"
            s < 86400 -> "${s / 3600}h ${s % 3600 / 60}m"
            else -> "${s / 86400}d ${s % 86400 / 3600}h"
        }
    }

    fun bytes(value: Long?): String = when {
        value == null -> "-"
        value < 1024 * 1024 -> "${value / 1024} KiB"
        value < 1024L * 1024 * 1024 -> "%.1f MiB".format(value / (1024.0 * 1024))
        else -> "%.2f GiB".format(value / (1024.0 * 1024 * 1024))
    }
}
