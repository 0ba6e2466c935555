package io.jcluster

import io.jcluster.internal.MemoryProbe
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import java.time.Duration
import java.time.Instant
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicLong
import kotlin.time.TimeMark
import kotlin.time.TimeSource

/**
 * `Plugins.stats()`: counts what a [ManagedCluster] does (restarts and why, messages, requests) and
 * takes [snapshot]s with every worker's pid, state, uptime, heap, RSS, requests and open connections.
 * Heap, requests and connections come with each worker's heartbeat answer, so they are as fresh as
 * [Supervision.heartbeatInterval]; workers that are not supervised (`fork()`) are not pinged.
 */
public class StatsPlugin internal constructor() : ClusterPlugin {
    override val name: String = "stats"

    @Volatile private var cluster: ManagedCluster? = null
    @Volatile private var started: TimeMark = TimeSource.Monotonic.markNow()
    private val restartReasons = ConcurrentHashMap<ExitReason, AtomicLong>()
    private val slotRestarts = ConcurrentHashMap<Int, AtomicLong>()
    private val messages = AtomicLong()
    private val retiredRequests = AtomicLong()
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Unconfined)

    override fun onStarting(cluster: ManagedCluster) {
        this.cluster = cluster
        started = TimeSource.Monotonic.markNow()
        // Unconfined and undispatched: subscribed before the first fork, counted on the loop's thread.
        scope.launch(start = CoroutineStart.UNDISPATCHED) {
            cluster.primary.events.collect { if (it is WorkerEvent.Message) messages.incrementAndGet() }
        }
    }

    override fun onWorkerExit(cluster: ManagedCluster, exit: WorkerEvent.Exited) {
        exit.worker.lastReport?.let { retiredRequests.addAndGet(it.load.requests) }
        val replaced = exit.worker.slot != null && exit.reason != ExitReason.SCALE_DOWN &&
            (cluster.state.value == PrimaryState.ACTIVE || cluster.state.value == PrimaryState.RESTARTING)
        if (!replaced) return
        restartReasons.computeIfAbsent(exit.reason) { AtomicLong() }.incrementAndGet()
        slotRestarts.computeIfAbsent(exit.worker.slot!!) { AtomicLong() }.incrementAndGet()
    }

    override fun onExit(cluster: ManagedCluster) {
        scope.cancel()
    }

    /** The cluster now; throws [IllegalStateException] before the plugin's cluster has started. */
    public fun snapshot(): ClusterStats {
        val cluster = checkNotNull(cluster) { "the stats plugin has no cluster yet: use(Plugins.stats()) in a cluster, and ask once it started" }
        val active = cluster.primary.activeWorkers().mapTo(HashSet()) { it.id }
        val workers = cluster.primary.workers.value.values
            .sortedWith(compareBy<Worker, Int?>(nullsLast()) { it.slot }.thenBy { it.id })
            .map { workerStats(it, it.id in active) }
        return ClusterStats(
            pid = ProcessHandle.current().pid(),
            state = cluster.state.value,
            uptimeMillis = started.elapsedNow().inWholeMilliseconds,
            wanted = cluster.workers,
            restarts = restartReasons.values.sumOf { it.get() },
            restartReasons = restartReasons.mapValues { it.value.get() },
            messages = messages.get(),
            requests = retiredRequests.get() + workers.filter { it.state != "dead" }.sumOf { it.requests ?: 0 }, // the dead are in retiredRequests
            workers = workers,
        )
    }

    private fun workerStats(worker: Worker, active: Boolean): WorkerStats {
        val report = worker.lastReport
        val process = worker.process
        val start = process?.info()?.startInstant()?.orElse(null)
        return WorkerStats(
            id = worker.id,
            slot = worker.slot,
            pid = worker.pid,
            state = WorkerStats.stateName(worker.state.value),
            ready = worker.isReady(),
            active = active,
            uptimeMillis = start?.let { Duration.between(it, Instant.now()).toMillis().coerceAtLeast(0) },
            heapBytes = report?.liveHeap,
            rssBytes = process?.takeIf { it.isAlive }?.let { MemoryProbe.proc.residentBytes(it.pid()) },
            requests = report?.load?.requests,
            openConnections = report?.load?.openConnections,
            restarts = worker.slot?.let { slotRestarts[it]?.get() } ?: 0,
        )
    }
}
