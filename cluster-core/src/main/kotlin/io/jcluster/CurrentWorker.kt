package io.jcluster

import io.jcluster.internal.WorkerRuntime
import io.jcluster.ipc.Handle
import io.jcluster.ipc.Incoming
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.map
import java.net.InetAddress
import java.net.InetSocketAddress
import kotlin.system.exitProcess

/** A message from the primary to this worker, with the handle that came with it (now yours). */
public data class WorkerMessage(val payload: Any, val handle: Handle?)

/**
 * This process, when it is a worker: `Cluster.worker` (Node's `cluster.worker` in a worker). It is
 * online as soon as it exists; it keeps the process alive while its channel to the primary is up.
 *
 * A warm standby (`Supervision.standby`) runs `main` up to the first call that would show it to the
 * cluster, [ready], [send] or [post], reading [slot], or `Cluster.listen` (which every server adapter makes),
 * and waits there until the primary gives it a slot. So do before those what may run early (load
 * configuration, build the server, warm caches), and nothing that must not run twice at once (such
 * as consuming a queue: listen or call [ready] first).
 */
public class CurrentWorker internal constructor(internal val runtime: WorkerRuntime) {
    /** This worker's id, as the primary numbered it. */
    public val id: Int get() = runtime.id

    /**
     * This worker's place among the supervised workers (`0..N-1`, kept by its replacements), or null
     * for a worker of `fork()`. In a standby, reading it waits until the standby is promoted.
     */
    public val slot: Int? get() = runtime.slot

    /** True while this worker is a warm standby that no slot has claimed yet (see the class's KDoc). */
    public val isStandby: Boolean get() = runtime.isStandby

    /**
     * A listener on an ephemeral loopback port that only this process knows and that tells the
     * cluster nothing. A standby's server adapter starts and stops its server on one while it waits
     * (a rehearsal), so that what the real start loads and initialises is done before the slot comes.
     */
    public fun rehearsalListener(): ClusterListener =
        ClusterListener.local(InetSocketAddress(InetAddress.getLoopbackAddress(), 0), REHEARSAL_BACKLOG) {}

    /** Messages from the primary, in order; collect once. Messages wait until someone collects. */
    public val messages: Flow<WorkerMessage> = runtime.messages.map { it.toWorkerMessage() }

    /**
     * Sends [message] (any `@Serializable` value, or a JSON tree) to the primary, with [handle] if
     * given. From code that does not run in a coroutine (a blocking server's handler), use [post].
     */
    @JvmSynthetic // Java: JavaWorker.send()
    public suspend fun send(message: Any, handle: Handle? = null): Unit = runtime.send(message, handle)

    /**
     * Sends [message] to the primary without suspending, as Node's `process.send` does: for a
     * blocking server's handler thread or Java. Returns once the message is written or queued;
     * messages arrive in the order of the calls, [send]'s included. Blocks the calling thread only
     * while the send queue is full (the primary reads slower than this worker sends) and, in a warm
     * standby, until it is promoted. Throws `IpcClosedException` once the channel to the primary is
     * closed, and `IllegalArgumentException` for a message that cannot be serialized.
     */
    public fun post(message: Any): Unit = runtime.post(message)

    /**
     * Disconnects: runs the [onDisconnect] hooks (servers close and finish their requests), delivers
     * what was already sent, closes the channel, and the process exits with 0.
     */
    @JvmSynthetic // Java: JavaWorker.disconnect()
    public suspend fun disconnect(): Unit = runtime.disconnect(askedByPrimary = false)

    /**
     * The pipe the primary opens, or opened, to this worker under [name] (`Worker.openPipe`): waits
     * until it comes. Pipes of one name are taken in the order the primary opened them. See [WorkerPipe].
     */
    @JvmSynthetic // Java: JavaWorker.pipe(name)
    public suspend fun pipe(name: String): WorkerPipe = runtime.pipes.take(name)

    /**
     * Whether this worker's channel to the primary is up (Node's `worker.isConnected()` in a worker):
     * true from the start, false once the channel closed ([disconnect], [destroy], the primary gone).
     */
    public fun isConnected(): Boolean = runtime.isConnected

    /**
     * Ends this worker now, as Node's `worker.destroy()` in a worker: tells the primary the exit is
     * intended, closes the channel (what was sent before still goes out) and exits with 0. Unlike
     * [disconnect], no [onDisconnect] hook runs: servers stop with the process, their requests unfinished.
     * The primary sees `Disconnected`, then `Exited` with code 0, `exitedAfterDisconnect` and reason `DISCONNECT`.
     */
    public fun destroy(): Nothing = runtime.exit(0, intended = true)

    /** [destroy] (Node's `worker.kill()` in a worker, which takes no signal there). */
    public fun kill(): Nothing = destroy()

    /**
     * Exits with [code], as `System.exit` does, but first tells the primary: so that a code above 128
     * is reported as that code, where the JDK would read it as a death by signal `code - 128`
     * (`exit(137)` is not a `kill -9`). The exit is not intended: it counts as a crash unless [code] is 0.
     * No [onDisconnect] hook runs; what was sent before still goes out.
     */
    public fun exit(code: Int): Nothing = runtime.exit(code, intended = false)

    /**
     * Tells the primary this worker is ready to serve. Under `readyWhen = READY` a reload retires the
     * worker this one replaces only after this call; otherwise it changes nothing. Only the first call counts.
     */
    @JvmSynthetic // Java: JavaWorker.ready()
    public suspend fun ready(): Unit = runtime.ready()

    /**
     * Adds a check the worker runs before it answers each heartbeat; one that returns false or throws
     * keeps the worker silent, and past `heartbeatTimeout` the primary kills and replaces it. Keep it quick.
     */
    @JvmSynthetic // Java: JavaWorker.addLivenessCheck(BooleanSupplier)
    public fun addLivenessCheck(check: suspend () -> Boolean) {
        runtime.addLivenessCheck(check)
    }

    /**
     * Counts one served request (the HTTP adapters call it): after `Supervision.maxRequests` the
     * primary replaces this worker gracefully.
     */
    public fun requestServed() {
        runtime.requestServed()
    }

    /**
     * Adds a source of this worker's load (each HTTP adapter's servers add one): with every heartbeat
     * answer the worker sends the primary the sums of all sources, which the stats, the control socket
     * and the metrics show. Called on the worker's pool; keep it quick, and count from the worker's start.
     */
    public fun addLoadSource(source: () -> WorkerLoad) {
        runtime.addLoadSource(source)
    }

    /**
     * Says this worker cannot boot (a bad configuration, say): prints [reason] to stderr and exits with
     * [Supervision.CANNOT_BOOT], which makes the primary stop respawning instead of looping.
     */
    public fun cannotBoot(reason: String): Nothing {
        System.err.println("cannot boot: $reason")
        System.err.flush()
        exitProcess(Supervision.CANNOT_BOOT)
    }

    /** Runs [hook] when this worker disconnects, whoever asked; hooks run one after another, in order. */
    @JvmSynthetic // Java: JavaWorker.onDisconnect(Runnable)
    public fun onDisconnect(hook: suspend () -> Unit) {
        runtime.onDisconnect(hook)
    }

    private fun Incoming<Any>.toWorkerMessage() = WorkerMessage(message, handle)

    private companion object {
        const val REHEARSAL_BACKLOG = 1
    }
}
