package io.jcluster

import kotlinx.serialization.Serializable

/**
 * A worker's load, as its servers count it: [requests] taken since the worker started and
 * [openConnections] now. Workers report it with each heartbeat answer (see [CurrentWorker.addLoadSource]).
 */
@Serializable
public data class WorkerLoad(val requests: Long = 0, val openConnections: Int = 0) {
    /** Both counts added up. */
    public operator fun plus(other: WorkerLoad): WorkerLoad = WorkerLoad(requests + other.requests, openConnections + other.openConnections)
}
