package io.jcluster.java

import io.jcluster.ManagedCluster
import io.jcluster.PrimaryEvent
import io.jcluster.PrimaryState
import io.jcluster.Signal
import io.jcluster.UpgradeResult
import io.jcluster.java.internal.async
import io.jcluster.java.internal.done
import io.jcluster.java.internal.listen
import io.jcluster.java.internal.publisher
import kotlinx.coroutines.flow.first
import java.util.concurrent.CompletableFuture
import java.util.concurrent.Flow
import java.util.function.Consumer
import kotlin.time.toJavaDuration
import kotlin.time.toKotlinDuration

/**
 * A running cluster's primary, for Java: [ManagedCluster] with futures for what takes time. What
 * LearnBoost's `cluster` calls the master: [spawn], [close], [destroy], [restart], [kill], [state] and
 * the primary-level [events].
 */
public class JavaCluster private constructor(private val cluster: ManagedCluster) {
    /** [count] workers more, or (negative) fewer. */
    public fun spawn(count: Int): Unit = cluster.spawn(count)

    /** Closes gracefully: every worker disconnects, finishing its requests; completes once all are gone. */
    public fun close(): CompletableFuture<Void?> = done { cluster.close() }

    /** Stops at once: every worker is killed now. */
    public fun destroy(): Unit = cluster.destroy()

    /**
     * Restarts every worker; completes once they are replaced. Without [signal], a zero-downtime
     * reload; with one, each worker gets [signal] and is replaced at once. Fails with
     * `ReloadFailedException` if a replacement does not become ready.
     */
    @JvmOverloads
    public fun restart(signal: Signal? = null): CompletableFuture<Void?> = done { cluster.restart(signal) }

    /**
     * Replaces this primary with a new one started by [command] (null: this JVM's own command line)
     * without dropping a connection ([ManagedCluster.upgrade]); completes once the new one is ready,
     * then this one closes. Fails with `UpgradeFailedException` if it exits or is not ready within
     * [timeout]: this one serves on.
     */
    @JvmOverloads
    public fun upgrade(command: List<String>? = null, timeout: java.time.Duration = ManagedCluster.UPGRADE_TIMEOUT.toJavaDuration()): CompletableFuture<UpgradeResult> =
        async { cluster.upgrade(command, timeout.toKotlinDuration()) }

    /** Sends [signal] to every worker and closes once they are gone. */
    @JvmOverloads
    public fun kill(signal: Signal = Signal.TERM): CompletableFuture<Void?> = done { cluster.kill(signal) }

    /** Active, restarting, closing, closed, or failed. */
    public fun state(): PrimaryState = cluster.state.value

    /** How many workers the cluster keeps. */
    public fun workers(): Int = cluster.workers

    /** Completes once the cluster is closed, with its final state (`CLOSED` or `FAILED`). */
    public fun awaitClosed(): CompletableFuture<PrimaryState> = async { cluster.awaitClosed() }

    /** The primary's events, in order; a new subscriber first gets the last `ManagedCluster.EVENT_REPLAY`. */
    public fun events(): Flow.Publisher<PrimaryEvent> = cluster.events.publisher()

    /** Calls [listener] with each of [events] (the recent ones first), in order, off the primary's thread. */
    public fun onEvent(listener: Consumer<in PrimaryEvent>): Registration = cluster.events.listen(listener)

    /** The Node-style primary underneath: its workers and their events and messages. */
    public fun primary(): JavaPrimary = JavaPrimary.of(cluster.primary)

    /** The Kotlin object underneath. */
    public fun managed(): ManagedCluster = cluster

    internal fun whenListening(): CompletableFuture<JavaCluster> = async {
        val event = cluster.events.first { it == PrimaryEvent.Listening || it == PrimaryEvent.Closed }
        check(event == PrimaryEvent.Listening) { "the cluster closed (${cluster.state.value}) before its workers were ready" }
        this
    }

    public companion object {
        /** [cluster] for Java (a plugin's hooks get the Kotlin object). */
        @JvmStatic
        public fun of(cluster: ManagedCluster): JavaCluster = JavaCluster(cluster)
    }
}
