package io.jcluster.internal

import io.jcluster.WorkerLoad

/** A worker's last heartbeat answer, as the primary keeps it: [liveHeap] in bytes and its servers' [load]. */
internal data class WorkerReport(val liveHeap: Long, val load: WorkerLoad)
