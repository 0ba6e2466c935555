package io.jcluster.java

import io.jcluster.ClusterEvent
import io.jcluster.ClusterSettings
import io.jcluster.ClusterState
import io.jcluster.Primary
import io.jcluster.ReloadResult
import io.jcluster.Signal
import io.jcluster.Worker
import io.jcluster.WorkerEvent
import io.jcluster.WorkerPipe
import io.jcluster.java.internal.JavaPayloads
import io.jcluster.java.internal.Outbox
import io.jcluster.java.internal.async
import io.jcluster.java.internal.done
import io.jcluster.java.internal.listen
import io.jcluster.java.internal.publisher
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.map
import java.util.concurrent.CompletableFuture
import java.util.concurrent.Flow
import java.util.function.Consumer
import java.util.function.UnaryOperator

/**
 * The primary side of a cluster, for Java (Node's `cluster` in the primary): [Primary] with futures
 * and listeners. `Clusters.primary()` is this process's; `JavaCluster.primary()` a cluster's.
 *
 * Events are not replayed: add listeners before you fork. Messages from Java are maps, lists,
 * strings, numbers, booleans and records (sent as JSON), or `@Serializable` values; a JSON message
 * arrives as maps and lists, its whole numbers as `Long`.
 */
public class JavaPrimary private constructor(private val primary: Primary) : AutoCloseable {
    /** Starts an unsupervised worker with [environment] added to its environment; see `Primary.fork`. */
    @JvmOverloads
    public fun fork(environment: Map<String, String> = emptyMap()): Worker = primary.fork(environment)

    /** [count] supervised workers more, or (negative) fewer; see `Primary.spawn`. */
    public fun spawn(count: Int): Unit = primary.spawn(count)

    /** The workers by id now, until each has both disconnected and exited. */
    public fun workers(): Map<Int, Worker> = primary.workers.value

    /** One ready supervised worker per slot. */
    public fun activeWorkers(): List<Worker> = primary.activeWorkers()

    /** The settings later forks use. */
    public fun settings(): ClusterSettings = primary.settings

    /** What supervision is doing: running, or failed (and why). */
    public fun state(): ClusterState = primary.state.value

    /** Every worker's events, in order, from when you subscribe. */
    public fun events(): Flow.Publisher<ClusterEvent> = primary.events.publisher()

    /** Calls [listener] with each event from now on, in order, off the primary's thread. */
    public fun onEvent(listener: Consumer<in ClusterEvent>): Registration = primary.events.listen(listener)

    /** Calls [listener] with each message a worker sends from now on (JSON as maps and lists). */
    public fun onMessage(listener: Consumer<in WorkerEvent.Message>): Registration =
        primary.events.filterIsInstance<WorkerEvent.Message>().map { it.copy(payload = JavaPayloads.fromWire(it.payload)) }.listen(listener)

    /**
     * Sends [message] to [worker]; completes once sent, or fails if the worker is gone. Messages to one
     * worker leave in the order of the calls, whether or not you wait for each future. The message is
     * read now; one Java cannot send throws here.
     */
    public fun send(worker: Worker, message: Any): CompletableFuture<Void?> =
        JavaPayloads.toWire(message).let { wire -> Outbox.of(worker).submit { worker.send(wire) } }

    /**
     * Opens a pipe to [worker] beside the control channel (a byte stream both ways), which the worker
     * takes with `JavaWorker.pipe(name)`; completes once the worker has its end. See `WorkerPipe`.
     */
    public fun openPipe(worker: Worker, name: String): CompletableFuture<WorkerPipe> = async { worker.openPipe(name) }

    /**
     * Asks [worker] to disconnect once the messages [send] was called with before have gone out
     * (`worker.disconnect()` asks at once, and may overtake them); completes when asked.
     */
    public fun disconnect(worker: Worker): CompletableFuture<Void?> = Outbox.of(worker).submit { worker.disconnect() }

    /** Changes the settings for later forks (Node's `setupPrimary`); completes with the new settings. See `Primary.setup`. */
    public fun setup(change: UnaryOperator<ClusterSettings>): CompletableFuture<ClusterSettings> = async { primary.setup(change::apply) }

    /** Replaces every supervised worker without dropping a request; see `Primary.reload`. The result's `getTook()` is a `java.time.Duration`. */
    public fun reload(): CompletableFuture<ReloadResult> = async { primary.reload() }

    /** Disconnects every worker; completes once all are gone. */
    public fun disconnect(): CompletableFuture<Void?> = done { primary.disconnect() }

    /** Stops supervision and sends [signal] to every worker; completes once all are gone. */
    @JvmOverloads
    public fun killAll(signal: Signal = Signal.TERM): CompletableFuture<Void?> = done { primary.killAll(signal) }

    /** Kills every worker and releases the control socket. */
    override fun close(): Unit = primary.close()

    public companion object {
        /** [primary] for Java. */
        @JvmStatic
        public fun of(primary: Primary): JavaPrimary = JavaPrimary(primary)
    }
}
