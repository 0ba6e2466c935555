package io.jcluster.internal

import io.jcluster.ClusterStats
import io.jcluster.ExitReason
import io.jcluster.ManagedCluster
import io.jcluster.PrimaryState
import io.jcluster.Worker
import io.jcluster.WorkerEvent
import io.jcluster.WorkerStats
import java.time.Duration
import java.time.Instant
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicLong
import kotlin.time.TimeSource

/**
 * What a [ManagedCluster] has done, counted once per cluster: the cluster owns one and feeds it from
 * its own event collector ([messageReceived], [workerExited], on the primary's event thread), and the
 * stats, control and metrics plugins all read the same one through [snapshot]. Before, each of those
 * plugins counted for itself, so a cluster using two of them counted everything twice.
 */
internal class StatsCollector(private val cluster: ManagedCluster) {
    private val started = TimeSource.Monotonic.markNow() // the cluster is made just before it starts
    private val restartReasons = ConcurrentHashMap<ExitReason, AtomicLong>()
    private val slotRestarts = ConcurrentHashMap<Int, AtomicLong>()
    private val messages = AtomicLong()
    private val retiredRequests = AtomicLong()

    fun messageReceived() {
        messages.incrementAndGet()
    }

    /** Keeps the exited worker's requests, and counts a restart if it is replaced (not scaled down, not closing). */
    fun workerExited(exit: WorkerEvent.Exited) {
        exit.worker.lastReport?.let { retiredRequests.addAndGet(it.load.requests) }
        val slot = exit.worker.slot ?: return
        val running = cluster.state.value == PrimaryState.ACTIVE || cluster.state.value == PrimaryState.RESTARTING
        if (exit.reason == ExitReason.SCALE_DOWN || !running) return
        restartReasons.computeIfAbsent(exit.reason) { AtomicLong() }.incrementAndGet()
        slotRestarts.computeIfAbsent(slot) { AtomicLong() }.incrementAndGet()
    }

    fun snapshot(): ClusterStats {
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
            standbys = cluster.primary.loop.standbyPids.value,
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
            state = stateName(worker.state.value),
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

/** The [io.jcluster.WorkerStats.state] name of [state]. */
internal fun stateName(state: io.jcluster.WorkerState): String = when (state) {
    io.jcluster.WorkerState.Forked -> "forked"
    io.jcluster.WorkerState.Online -> "online"
    io.jcluster.WorkerState.Listening -> "listening"
    io.jcluster.WorkerState.Disconnecting -> "disconnecting"
    io.jcluster.WorkerState.Disconnected -> "disconnected"
    is io.jcluster.WorkerState.Dead -> "dead"
}
