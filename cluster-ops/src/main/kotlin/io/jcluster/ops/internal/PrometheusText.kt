package io.jcluster.ops.internal

import io.jcluster.Worker
import io.jcluster.ClusterStats
import io.jcluster.ExitReason
import io.jcluster.WorkerStats

/** [ClusterStats] in the Prometheus text exposition format, version 0.0.4. */
internal object PrometheusText {
    const val CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
    private val STATES = listOf("forked", "online", "listening", "disconnecting", "disconnected", "dead")

    fun render(stats: ClusterStats): String = buildString {
        metric("jcluster_uptime_seconds", "gauge", "Seconds since the primary started its workers.") { sample(it, stats.uptimeMillis / 1000.0) }
        metric("jcluster_workers_wanted", "gauge", "Workers the cluster keeps (its slots).") { sample(it, stats.wanted) }
        metric("jcluster_workers", "gauge", "Worker processes by state.") { name ->
            STATES.forEach { state -> sample(name, stats.workers.count { it.state == state }, "state" to state) }
        }
        metric("jcluster_workers_active", "gauge", "Slots with a ready worker.") { sample(it, stats.workers.count { it.active }) }
        metric("jcluster_standby_workers", "gauge", "Warm standbys ready to take a slot.") { sample(it, stats.standbys.size) }
        metric("jcluster_ready", "gauge", "1 when every slot is ready and the cluster is not closing (as /readyz).") { sample(it, if (stats.isReady) 1 else 0) }
        metric("jcluster_restarts_total", "counter", "Workers replaced while the cluster ran, by why they exited.") { name ->
            ExitReason.entries.forEach { reason -> sample(name, stats.restartReasons[reason] ?: 0, "reason" to reason.name.lowercase()) }
        }
        metric("jcluster_messages_total", "counter", "Messages the workers sent the primary.") { sample(it, stats.messages) }
        metric("jcluster_requests_total", "counter", "Requests the workers served, as of their last heartbeats.") { sample(it, stats.requests) }
        metric("jcluster_open_connections", "gauge", "Connections open in the workers, as of their last heartbeats.") { sample(it, stats.openConnections) }
        perWorker(stats, "jcluster_worker_requests_total", "counter", "Requests this worker served.") { it.requests }
        perWorker(stats, "jcluster_worker_open_connections", "gauge", "Connections open in this worker.") { it.openConnections }
        perWorker(stats, "jcluster_worker_heap_bytes", "gauge", "Live heap after the last collection.") { it.heapBytes }
        perWorker(stats, "jcluster_worker_rss_bytes", "gauge", "Resident set size.") { it.rssBytes }
        perWorker(stats, "jcluster_worker_uptime_seconds", "gauge", "Seconds since the worker process started.") { w -> w.uptimeMillis?.let { it / 1000.0 } }
    }

    private inline fun StringBuilder.metric(name: String, type: String, help: String, samples: StringBuilder.(String) -> Unit) {
        append("# HELP ").append(name).append(' ').append(help).append('\n')
        append("# TYPE ").append(name).append(' ').append(type).append('\n')
        samples(name)
    }

    private fun StringBuilder.perWorker(stats: ClusterStats, name: String, type: String, help: String, value: (WorkerStats) -> Number?) =
        metric(name, type, help) { metric ->
            stats.workers.forEach { w -> value(w)?.let { sample(metric, it, "id" to "${w.id}", "slot" to (w.slot?.toString() ?: "")) } }
        }

    private fun StringBuilder.sample(name: String, value: Number, vararg labels: Pair<String, String>) {
        append(name)
        if (labels.isNotEmpty()) labels.joinTo(this, ",", "{", "}") { (k, v) -> "$k=\"${escape(v)}\"" }
        append(' ').append(value).append('\n')
    }

    private fun escape(value: String) = value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
}
