package io.jcluster.java

import io.jcluster.CurrentWorker
import io.jcluster.WorkerMessage
import io.jcluster.WorkerPipe
import io.jcluster.java.internal.async
import io.jcluster.java.internal.JavaPayloads
import io.jcluster.java.internal.Outbox
import io.jcluster.java.internal.listen
import io.jcluster.java.internal.publisher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.runInterruptible
import java.util.concurrent.CompletableFuture
import java.util.concurrent.Flow
import java.util.function.BooleanSupplier
import java.util.function.Consumer

/**
 * This process as a worker, for Java (Node's `cluster.worker`): [CurrentWorker] with futures and
 * listeners. Messages are as [JavaPrimary] says.
 */
public class JavaWorker private constructor(private val worker: CurrentWorker) {
    // One queue per process, whichever JavaWorker the call goes through (Clusters.worker() makes a new one each time).
    private val outbox = Outbox.of(worker)
    private val messages = worker.messages.map { it.copy(payload = JavaPayloads.fromWire(it.payload)) }

    /** This worker's id, as the primary numbered it. */
    public fun id(): Int = worker.id

    /** This worker's slot among the supervised workers, or null for a worker of `fork()`. */
    public fun slot(): Int? = worker.slot

    /**
     * Sends [message] to the primary; completes once sent. Messages leave in the order of the calls,
     * whether or not you wait for each future, and all of them before a later [disconnect]. The message
     * is read now (a map changed after the call is sent as it was); one Java cannot send throws here.
     */
    public fun send(message: Any): CompletableFuture<Void?> = JavaPayloads.toWire(message).let { wire -> outbox.submit { worker.send(wire) } }

    /** Messages from the primary, in order. Subscribe once per process (or use [onMessage]): they go to one reader. */
    public fun messages(): Flow.Publisher<WorkerMessage> = messages.publisher()

    /** Calls [listener] with each message from the primary, in order; once per process, as [messages]. */
    public fun onMessage(listener: Consumer<in WorkerMessage>): Registration = messages.listen(listener)

    /**
     * Disconnects, after everything [send] was called with before: the [onDisconnect] hooks run, the
     * messages go out, the channel closes, and the process exits with 0.
     */
    public fun disconnect(): CompletableFuture<Void?> = outbox.submit { worker.disconnect() }

    /** The pipe the primary opens, or opened, under [name] (`JavaPrimary.openPipe`); see `WorkerPipe`. */
    public fun pipe(name: String): CompletableFuture<WorkerPipe> = async { worker.pipe(name) }

    /** Whether this worker's channel to the primary is up (Node's `worker.isConnected()`). */
    public fun isConnected(): Boolean = worker.isConnected()

    /**
     * Ends this worker now (Node's `worker.destroy()` in a worker), after the messages [send] was called
     * with before: the primary sees `Disconnected`, then `Exited` with code 0 and `exitedAfterDisconnect`.
     * No [onDisconnect] hook runs. Never returns.
     */
    public fun destroy(): Unit = afterSends { worker.destroy() }

    /** [destroy] (Node's `worker.kill()` in a worker). Never returns. */
    public fun kill(): Unit = destroy()

    /**
     * Exits with [code] after the messages [send] was called with before, telling the primary first, so
     * that a code above 128 is reported as a code, not as a signal (see `CurrentWorker.exit`). Never returns.
     */
    public fun exit(code: Int): Unit = afterSends { worker.exit(code) }

    /** Runs [end] once the queued sends have gone (or failed): it ends the process. */
    private fun afterSends(end: () -> Nothing) {
        runCatching { outbox.submit { }.get() }
        end()
    }

    /** Tells the primary this worker is ready (under `ReadyWhen.READY`), after the messages sent before. */
    public fun ready(): CompletableFuture<Void?> = outbox.submit { worker.ready() }

    /** Runs [hook] when this worker disconnects (close servers, finish work); it may block. */
    public fun onDisconnect(hook: Runnable): Unit = worker.onDisconnect { runInterruptible(Dispatchers.IO) { hook.run() } }

    /** Adds a check run before each heartbeat answer; false (or a throw) keeps the worker silent. */
    public fun addLivenessCheck(check: BooleanSupplier): Unit = worker.addLivenessCheck { check.asBoolean }

    /** Counts one served request, for `Supervision.maxRequests`. */
    public fun requestServed(): Unit = worker.requestServed()

    /** Says this worker cannot boot: prints [reason] and exits so that the primary stops respawning. */
    public fun cannotBoot(reason: String): Unit = worker.cannotBoot(reason)

    public companion object {
        /** [worker] for Java. */
        @JvmStatic
        public fun of(worker: CurrentWorker): JavaWorker = JavaWorker(worker)
    }
}
