package io.jcluster

import io.jcluster.internal.WorkerRuntime
import io.jcluster.ipc.Handle
import io.jcluster.ipc.Incoming
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.map

/** A message from the primary to this worker, with the handle that came with it (now yours). */
public data class WorkerMessage(val payload: Any, val handle: Handle?)

/**
 * This process, when it is a worker: `Cluster.worker` (Node's `cluster.worker` in a worker). It is
 * online as soon as it exists; it keeps the process alive while its channel to the primary is up.
 */
public class CurrentWorker internal constructor(internal val runtime: WorkerRuntime) {
    /** This worker's id, as the primary numbered it. */
    public val id: Int get() = runtime.id

    /** Messages from the primary, in order; collect once. Messages wait until someone collects. */
    public val messages: Flow<WorkerMessage> = runtime.messages.map { it.toWorkerMessage() }

    /** Sends [message] (any `@Serializable` value, or a JSON tree) to the primary, with [handle] if given. */
    public suspend fun send(message: Any, handle: Handle? = null): Unit = runtime.send(message, handle)

    /**
     * Disconnects: runs the [onDisconnect] hooks (servers close and finish their requests), delivers
     * what was already sent, closes the channel, and the process exits with 0.
     */
    public suspend fun disconnect(): Unit = runtime.disconnect(askedByPrimary = false)

    /** Runs [hook] when this worker disconnects, whoever asked; hooks run one after another, in order. */
    public fun onDisconnect(hook: suspend () -> Unit) {
        runtime.onDisconnect(hook)
    }

    private fun Incoming<Any>.toWorkerMessage() = WorkerMessage(message, handle)
}
