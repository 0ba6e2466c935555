package io.jcluster.ops.internal

import io.jcluster.ClusterStats
import io.jcluster.ExitReason
import io.jcluster.WorkerStats
import io.prometheus.metrics.config.ExporterProperties
import io.prometheus.metrics.expositionformats.ExpositionFormats
import io.prometheus.metrics.model.snapshots.CounterSnapshot
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot
import io.prometheus.metrics.model.snapshots.GaugeSnapshot
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot
import io.prometheus.metrics.model.snapshots.Labels
import io.prometheus.metrics.model.snapshots.MetricSnapshot
import io.prometheus.metrics.model.snapshots.MetricSnapshots
import java.io.ByteArrayOutputStream

/**
 * [ClusterStats] as the official Prometheus client's model, written by its writers: text 0.0.4 by
 * default, OpenMetrics 1.0 when the scraper's `Accept` asks for it. One [ClusterStats] per scrape,
 * so that the families of one scrape agree with each other. Counter names are given without
 * `_total`: the writers add it (`jcluster_messages` is exposed as `jcluster_messages_total`).
 */
internal object PrometheusExposition {
    private val STATES = listOf("forked", "online", "listening", "disconnecting", "disconnected", "dead")

    // Built from explicit properties, not PrometheusProperties.get(): that would read the user's
    // prometheus.properties and system properties, which configure the app's own client.
    private val formats = ExpositionFormats.init(ExporterProperties.builder().includeCreatedTimestamps(false).build())

    /** The exposition of [stats] in the format [accept] asks for, and its content type. */
    fun render(stats: ClusterStats, accept: String?): Pair<ByteArray, String> {
        val writer = formats.findWriter(accept)
        val out = ByteArrayOutputStream()
        writer.write(out, snapshots(stats))
        return out.toByteArray() to writer.contentType
    }

    fun snapshots(stats: ClusterStats): MetricSnapshots = MetricSnapshots.of(
        gauge("jcluster_uptime_seconds", "Seconds since the primary started its workers.", stats.uptimeMillis / 1000.0),
        gauge("jcluster_workers_wanted", "Workers the cluster keeps (its slots).", stats.wanted),
        gauge("jcluster_workers", "Worker processes by state.", STATES.map { s -> point(stats.workers.count { it.state == s }, "state", s) }),
        gauge("jcluster_workers_active", "Slots with a ready worker.", stats.workers.count { it.active }),
        gauge("jcluster_standby_workers", "Warm standbys ready to take a slot.", stats.standbys.size),
        gauge("jcluster_ready", "1 when every slot is ready and the cluster is not closing (as /readyz).", if (stats.isReady) 1 else 0),
        counter("jcluster_restarts", "Workers replaced while the cluster ran, by why they exited.",
            ExitReason.entries.map { r -> Labels.of("reason", r.name.lowercase()) to (stats.restartReasons[r] ?: 0L) }),
        counter("jcluster_messages", "Messages the workers sent the primary.", listOf(Labels.EMPTY to stats.messages)),
        counter("jcluster_requests", "Requests the workers served, as of their last heartbeats.", listOf(Labels.EMPTY to stats.requests)),
        gauge("jcluster_open_connections", "Connections open in the workers, as of their last heartbeats.", stats.openConnections),
        counter("jcluster_worker_requests", "Requests this worker served.", perWorker(stats) { it.requests }),
        gauge("jcluster_worker_open_connections", "Connections open in this worker.", perWorker(stats) { it.openConnections }.map { point(it.second, it.first) }),
        gauge("jcluster_worker_heap_bytes", "Live heap after the last collection.", perWorker(stats) { it.heapBytes }.map { point(it.second, it.first) }),
        gauge("jcluster_worker_rss_bytes", "Resident set size.", perWorker(stats) { it.rssBytes }.map { point(it.second, it.first) }),
        gauge("jcluster_worker_uptime_seconds", "Seconds since the worker process started.",
            perWorker(stats) { w -> w.uptimeMillis?.let { it / 1000.0 } }.map { point(it.second, it.first) }),
    )

    private fun perWorker(stats: ClusterStats, value: (WorkerStats) -> Number?): List<Pair<Labels, Number>> =
        stats.workers.mapNotNull { w -> value(w)?.let { Labels.of("id", "${w.id}", "slot", w.slot?.toString() ?: "") to it } }

    private fun point(value: Number, vararg labels: String) = point(value, Labels.of(*labels))

    private fun point(value: Number, labels: Labels): GaugeDataPointSnapshot =
        GaugeDataPointSnapshot.builder().value(value.toDouble()).labels(labels).build()

    private fun gauge(name: String, help: String, value: Number) = gauge(name, help, listOf(point(value)))

    private fun gauge(name: String, help: String, points: List<GaugeDataPointSnapshot>): MetricSnapshot =
        GaugeSnapshot.builder().name(name).help(help).apply { points.forEach { dataPoint(it) } }.build()

    private fun counter(name: String, help: String, points: List<Pair<Labels, Number>>): MetricSnapshot =
        CounterSnapshot.builder().name(name).help(help).apply {
            points.forEach { (labels, value) -> dataPoint(CounterDataPointSnapshot.builder().value(value.toDouble()).labels(labels).build()) }
        }.build()
}
