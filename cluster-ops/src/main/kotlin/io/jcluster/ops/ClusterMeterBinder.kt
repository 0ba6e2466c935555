package io.jcluster.ops

import io.jcluster.ClusterStats
import io.jcluster.ExitReason
import io.jcluster.ManagedCluster
import io.jcluster.WorkerStats
import io.micrometer.core.instrument.FunctionCounter
import io.micrometer.core.instrument.Gauge
import io.micrometer.core.instrument.Meter
import io.micrometer.core.instrument.MeterRegistry
import io.micrometer.core.instrument.binder.MeterBinder
import java.util.concurrent.Executors
import java.util.concurrent.ScheduledExecutorService
import java.util.concurrent.TimeUnit

/**
 * The cluster's figures as Micrometer meters, for Spring Boot and Micronaut apps that already
 * publish a `MeterRegistry` (declare it as a bean: both frameworks bind every `MeterBinder` bean).
 * The same figures as [MetricsPlugin]'s `/metrics`, named the Micrometer way: `jcluster.workers`
 * (tag `state`), `jcluster.workers.wanted`, `jcluster.workers.active`, `jcluster.ready`,
 * `jcluster.restarts` (tag `reason`), `jcluster.messages`, `jcluster.requests`,
 * `jcluster.open.connections`, and per worker (tags `id`, `slot`) `jcluster.worker.requests`,
 * `jcluster.worker.open.connections`, `jcluster.worker.heap` and `jcluster.worker.rss` (bytes);
 * a Prometheus registry exposes them as `jcluster_workers`, `jcluster_restarts_total`, … .
 *
 * One [ClusterStats] snapshot is taken each [refreshMillis] (one second by default) on a daemon
 * thread, and every meter reads it: the meters of one publication agree, and a scrape costs no
 * snapshot. Workers' meters are added as they fork and removed once they are gone. [close] stops
 * the thread (Spring calls it on an `AutoCloseable` bean). Micrometer is not a dependency jcluster
 * passes on: the app brings its own (micrometer-core 1.x).
 */
public class ClusterMeterBinder private constructor(
    private val source: () -> ClusterStats?,
    private val refreshMillis: Long,
) : MeterBinder, AutoCloseable {
    /** Binds [cluster]'s figures. */
    @JvmOverloads
    public constructor(cluster: ManagedCluster, refreshMillis: Long = 1000) : this({ cluster.stats() }, refreshMillis)

    /** Binds the figures of [stats]' cluster; meters hold no value (NaN) until that cluster has started. */
    @JvmOverloads
    public constructor(stats: StatsPlugin, refreshMillis: Long = 1000) : this({ runCatching { stats.snapshot() }.getOrNull() }, refreshMillis)

    init {
        require(refreshMillis > 0) { "ClusterMeterBinder: refreshMillis must be > 0, not $refreshMillis" }
    }

    @Volatile private var latest: ClusterStats? = null
    private val workerMeters = HashMap<Int, List<Meter>>() // touched by the refresh thread only
    private var timer: ScheduledExecutorService? = null

    override fun bindTo(registry: MeterRegistry) {
        latest = source()
        gauge(registry, "jcluster.workers.wanted", "Workers the cluster keeps (its slots).") { it.wanted }
        STATES.forEach { state -> gauge(registry, "jcluster.workers", "Worker processes by state.", "state", state) { s -> s.workers.count { it.state == state } } }
        gauge(registry, "jcluster.workers.active", "Slots with a ready worker.") { s -> s.workers.count { it.active } }
        gauge(registry, "jcluster.ready", "1 when every slot is ready and the cluster is not closing.") { if (it.isReady) 1 else 0 }
        gauge(registry, "jcluster.open.connections", "Connections open in the workers.") { it.openConnections }
        ExitReason.entries.forEach { reason ->
            counter(registry, "jcluster.restarts", "Workers replaced while the cluster ran, by why they exited.", "reason", reason.name.lowercase()) { it.restartReasons[reason] ?: 0 }
        }
        counter(registry, "jcluster.messages", "Messages the workers sent the primary.") { it.messages }
        counter(registry, "jcluster.requests", "Requests the workers served, as of their last heartbeats.") { it.requests }
        refresh(registry)
        synchronized(this) {
            timer?.shutdownNow()
            timer = Executors.newSingleThreadScheduledExecutor { Thread(it, "jcluster-meters").apply { isDaemon = true } }
                .apply { scheduleWithFixedDelay({ refresh(registry) }, refreshMillis, refreshMillis, TimeUnit.MILLISECONDS) }
        }
    }

    /** Stops refreshing the snapshot; the meters stay registered and keep the last figures. */
    override fun close(): Unit = synchronized(this) { timer?.shutdownNow(); timer = null }

    @Synchronized
    private fun refresh(registry: MeterRegistry) {
        val stats = runCatching { source() }.getOrNull() ?: return
        latest = stats
        val ids = stats.workers.map { it.id }.toSet()
        workerMeters.keys.filter { it !in ids }.forEach { id -> workerMeters.remove(id)!!.forEach { registry.remove(it) } }
        stats.workers.filter { it.id !in workerMeters }.forEach { workerMeters[it.id] = workerMetersOf(registry, it) }
    }

    private fun workerMetersOf(registry: MeterRegistry, w: WorkerStats): List<Meter> {
        val tags = arrayOf("id", "${w.id}", "slot", w.slot?.toString() ?: "")
        val of = { value: (WorkerStats) -> Number? -> { s: ClusterStats -> s.workers.find { it.id == w.id }?.let(value) } }
        return listOf(
            counter(registry, "jcluster.worker.requests", "Requests this worker served.", *tags, value = of { it.requests }),
            gauge(registry, "jcluster.worker.open.connections", "Connections open in this worker.", *tags, value = of { it.openConnections }),
            gauge(registry, "jcluster.worker.heap", "Live heap after the last collection.", *tags, unit = "bytes", value = of { it.heapBytes }),
            gauge(registry, "jcluster.worker.rss", "Resident set size.", *tags, unit = "bytes", value = of { it.rssBytes }),
        )
    }

    private fun gauge(registry: MeterRegistry, name: String, help: String, vararg tags: String, unit: String? = null, value: (ClusterStats) -> Number?): Meter =
        Gauge.builder(name, this) { b -> b.latest?.let(value)?.toDouble() ?: Double.NaN }
            .description(help).tags(*tags).baseUnit(unit).register(registry)

    private fun counter(registry: MeterRegistry, name: String, help: String, vararg tags: String, value: (ClusterStats) -> Number?): Meter =
        FunctionCounter.builder(name, this) { b -> b.latest?.let(value)?.toDouble() ?: Double.NaN }
            .description(help).tags(*tags).register(registry)

    private companion object {
        val STATES = listOf("forked", "online", "listening", "disconnecting", "disconnected", "dead")
    }
}
