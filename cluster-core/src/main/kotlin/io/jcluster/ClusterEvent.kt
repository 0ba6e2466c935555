package io.jcluster

import io.jcluster.ipc.Handle
import java.net.InetSocketAddress
import java.net.ProtocolFamily
import java.net.SocketAddress
import kotlin.time.Duration
import kotlin.time.toJavaDuration

/**
 * What happens in a cluster, in the order it happened, on [Primary.events]. Collectors must be quick
 * and must not throw: the primary waits for a collector that falls more than a buffer behind.
 *
 * Order guarantees (Node's): per worker, [WorkerEvent.Forked] comes first and [WorkerEvent.Online]
 * before any [WorkerEvent.Listening] or [WorkerEvent.Message]; [WorkerEvent.Disconnected] and
 * [WorkerEvent.Exited] both come, in either order, and the worker leaves [Primary.workers] only after both.
 */
public sealed interface ClusterEvent

/** The settings for later forks changed; [settings] are the new ones. */
public data class Setup(val settings: ClusterSettings) : ClusterEvent

/**
 * A supervised worker in [slot] died unexpectedly; its replacement starts after [delay] ([restarts]
 * unexpected deaths so far within the restart window).
 */
public data class RespawnScheduled(val slot: Int, val delay: Duration, val restarts: Int) : ClusterEvent {
    /** [delay] as a `java.time.Duration`: `getDelay()` from Java, which cannot reach [delay] itself (a Kotlin value class). */
    @get:JvmName("getDelay")
    public val javaDelay: java.time.Duration get() = delay.toJavaDuration()
}

/** The cluster went [ClusterState.Failed]: nothing is respawned any more; [reason] says why. */
public data class ClusterFailed(val reason: String) : ClusterEvent

/** A reload began: [workers] supervised workers will be replaced. */
public data class ReloadStarted(val workers: Int) : ClusterEvent

/** A reload ended: [replaced] workers were replaced; [failure] says why it stopped early, or is null. */
public data class ReloadFinished(val replaced: Int, val failure: String?) : ClusterEvent

/** Something happened to one worker. Each also appears on that worker's [Worker.events]. */
public sealed class WorkerEvent : ClusterEvent {
    /** The worker it happened to. */
    public abstract val worker: Worker

    /** The worker process was started. */
    public data class Forked(override val worker: Worker) : WorkerEvent()

    /**
     * The worker runs: its JVM announced itself as jcluster loaded in it, or it connected back
     * (Node's `online`). What is sent to it before it has connected waits until it has.
     */
    public data class Online(override val worker: Worker) : WorkerEvent()

    /**
     * A server of the worker accepts connections on [address] (an `InetSocketAddress` with the real
     * port, or a `UnixDomainSocketAddress`); once per listener.
     */
    public data class Listening(override val worker: Worker, val address: SocketAddress) : WorkerEvent() {
        /** The port, or -1 for a Unix-domain socket. */
        val port: Int get() = (address as? InetSocketAddress)?.port ?: -1

        /** INET, INET6 or UNIX. */
        val family: ProtocolFamily get() = ClusterListener.familyOf(address)
    }

    /**
     * The worker is ready (as [Supervision.readyWhen] defines it): a reload may now retire the
     * worker it replaces. Comes once, after [Online].
     */
    public data class Ready(override val worker: Worker) : WorkerEvent()

    /** The worker sent [payload] (and a [handle], now owned by whoever takes it). */
    public data class Message(override val worker: Worker, val payload: Any, val handle: Handle?) : WorkerEvent()

    /** The worker's channel to the primary closed. */
    public data class Disconnected(override val worker: Worker) : WorkerEvent()

    /**
     * The worker process ended. [exitedAfterDisconnect] tells an intended exit (after `disconnect()`
     * or `kill()`) from a crash; [reason] says what ended it; [stderr] holds the first lines it wrote
     * to stderr, when the primary captured them (not with [Stdio.INHERIT]), and the JVM's
     * `Terminating due to java.lang.OutOfMemoryError` line (which HotSpot writes to stdout).
     */
    public data class Exited(
        override val worker: Worker,
        val exit: ExitStatus,
        val exitedAfterDisconnect: Boolean,
        val reason: ExitReason,
        val stderr: List<String> = emptyList(),
    ) : WorkerEvent() {
        /** The exit code, or null if a signal ended the process. */
        val code: Int? get() = exit.code

        /** The signal that ended the process, or null. */
        val signal: Signal? get() = exit.signal
    }
}
