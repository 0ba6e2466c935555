package io.jcluster

import kotlinx.serialization.Serializable

/**
 * A snapshot of a cluster (`ManagedCluster`), as the stats plugin takes it and the admin socket and
 * the metrics endpoint serve it. Counts run from the primary's start.
 */
@Serializable
public data class ClusterStats(
    /** The primary's process id. */
    val pid: Long,
    /** The primary's state. */
    val state: PrimaryState,
    /** Milliseconds since the primary started its workers. */
    val uptimeMillis: Long,
    /** How many workers the cluster keeps (its slots). */
    val wanted: Int,
    /** Workers replaced while the cluster ran: deaths, reloads, recycling (not scaling down, not closing). */
    val restarts: Long,
    /** [restarts] by why the replaced worker exited. */
    val restartReasons: Map<ExitReason, Long>,
    /** Messages the workers sent the primary. */
    val messages: Long,
    /** Requests the workers served, as of their last heartbeats (those of exited workers included). */
    val requests: Long,
    /** Every worker, booting and retiring ones too, by slot then id. */
    val workers: List<WorkerStats>,
    /** The pids of the warm standbys ready to take a slot (`Supervision.standby`); they are not in [workers]. */
    val standbys: List<Long> = emptyList(),
) {
    /** Connections open in the workers, as of their last heartbeats. */
    val openConnections: Int get() = workers.sumOf { it.openConnections ?: 0 }

    /** Whether every slot has an active (ready) worker and the cluster is neither closing nor failed: Kubernetes' readiness. */
    val isReady: Boolean
        get() = (state == PrimaryState.ACTIVE || state == PrimaryState.RESTARTING) && workers.count { it.active } >= wanted
}

/** One worker in [ClusterStats]. Figures from its heartbeat are null until its first answer. */
@Serializable
public data class WorkerStats(
    val id: Int,
    /** Its slot; null for a worker of `fork()`. */
    val slot: Int?,
    val pid: Long?,
    /** `forked`, `online`, `listening`, `disconnecting`, `disconnected` or `dead` (see `WorkerState`). */
    val state: String,
    /** Whether it is ready, as `Supervision.readyWhen` says. */
    val ready: Boolean,
    /** Whether it is its slot's serving worker (see `Primary.activeWorkers`); false while booting or retiring. */
    val active: Boolean,
    /** Milliseconds since its process started. */
    val uptimeMillis: Long?,
    /** Live heap after the last collection, in bytes (heartbeat). */
    val heapBytes: Long?,
    /** Resident set, in bytes (read by the primary, on Linux). */
    val rssBytes: Long?,
    /** Requests it served (heartbeat). */
    val requests: Long?,
    /** Connections open in it (heartbeat). */
    val openConnections: Int?,
    /** Workers of its slot replaced before it. */
    val restarts: Long,
)
