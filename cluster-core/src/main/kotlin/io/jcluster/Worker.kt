package io.jcluster

import io.jcluster.internal.PrimaryLoop
import io.jcluster.internal.PrimaryPipes
import io.jcluster.internal.WorkerLink
import io.jcluster.internal.WorkerReport
import io.jcluster.ipc.Handle
import io.jcluster.ipc.IpcClosedException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.selects.select

/**
 * A worker, as its primary sees it (Node's `Worker`). Its state belongs to the primary's loop; this
 * object reads it and asks the loop for changes.
 */
public class Worker internal constructor(
    /** Unique in this primary, counted from 1, never reused. */
    public val id: Int,
    private val loop: PrimaryLoop,
    slot: Int? = null,
) {
    /**
     * The worker's place among the supervised workers, `0..N-1` (`JCLUSTER_WORKER_SLOT` in its
     * environment): a replacement takes the slot of the worker it replaces. Null for a worker of
     * `fork()`. A warm standby gets its slot when it is promoted, before its `Forked` event.
     */
    @Volatile public var slot: Int? = slot
        internal set

    internal val mutableState = MutableStateFlow<WorkerState>(WorkerState.Forked)
    internal val link = CompletableDeferred<WorkerLink>()
    internal val gone = CompletableDeferred<Unit>()
    @Volatile internal var processHandle: ProcessHandle? = null
    @Volatile internal var exitedAfterDisconnectFlag = false
    @Volatile internal var readyFlag = false

    /** What the worker said with its last heartbeat answer; written by the primary's loop, read by the stats. */
    @Volatile internal var lastReport: WorkerReport? = null

    /** The current state; see [WorkerState] for the transitions. */
    public val state: StateFlow<WorkerState> = mutableState.asStateFlow()

    /** The worker's process, once started. */
    public val process: ProcessHandle? get() = processHandle

    /** The worker's process id, once started. */
    public val pid: Long? get() = processHandle?.pid()

    /** True once `disconnect()` or `kill()` was called: an exit that follows was intended. */
    public val exitedAfterDisconnect: Boolean get() = exitedAfterDisconnectFlag

    /** This worker's events (a view of [Primary.events]). */
    public val events: Flow<WorkerEvent> = loop.events.filterForWorker(this)

    /**
     * Whether the worker's channel to the primary is up, or coming up: as in Node, true from the fork
     * (a [send] before the worker connects waits for it) until the channel closes.
     */
    public fun isConnected(): Boolean = state.value.let { it != WorkerState.Disconnected && it !is WorkerState.Dead }

    /** Whether the worker is ready, as [Supervision.readyWhen] defines it (see [WorkerEvent.Ready]). */
    public fun isReady(): Boolean = readyFlag

    /** Whether the worker process has exited. */
    public fun isDead(): Boolean = state.value is WorkerState.Dead

    /**
     * Sends [message] (any `@Serializable` value, or a JSON tree) to the worker, with [handle] if given.
     * Before the worker is online this waits for it; throws [IpcClosedException] if the worker is gone
     * or goes before the message could be sent.
     */
    @JvmSynthetic // Java: JavaPrimary.send(worker, message)
    public suspend fun send(message: Any, handle: Handle? = null) {
        connectedLink("send to").sendUser(message, handle)
    }

    /**
     * Opens a pipe to the worker beside the control channel (Node's extra `stdio` pipes): a byte stream
     * both ways, which the worker takes with `Cluster.worker.pipe(name)`. Before the worker is online
     * this waits for it; throws [IpcClosedException] if it is gone. See [WorkerPipe].
     */
    @JvmSynthetic // Java: JavaPrimary.openPipe(worker, name)
    public suspend fun openPipe(name: String): WorkerPipe = PrimaryPipes.open(this, name)

    /** The worker's link once it is online; throws [IpcClosedException] ("cannot [what] worker N") if it exited first. */
    @JvmSynthetic // internal, but public in bytecode: Java must not see a suspend function
    internal suspend fun connectedLink(what: String): WorkerLink = select<WorkerLink?> {
        gone.onAwait { null } // first: select takes the first ready clause, and a dead worker's link completed long ago
        link.onAwait { it }
    } ?: throw IpcClosedException("cannot $what worker $id: it has exited (${state.value})")

    /** Asks the worker to close its servers, finish its work and exit; killed after the disconnect timeout. */
    public fun disconnect() {
        loop.disconnect(this)
    }

    /** Kills the worker with [signal]; its exit counts as intended ([exitedAfterDisconnect]). */
    @JvmOverloads
    public fun kill(signal: Signal = Signal.TERM) {
        loop.kill(this, signal)
    }

    override fun toString(): String = "Worker($id, ${slot?.let { "slot=$it, " } ?: ""}pid=${pid ?: "-"}, ${state.value})"
}

private fun Flow<ClusterEvent>.filterForWorker(worker: Worker): Flow<WorkerEvent> =
    filter { it is WorkerEvent && it.worker === worker }.let {
        @Suppress("UNCHECKED_CAST")
        it as Flow<WorkerEvent>
    }
