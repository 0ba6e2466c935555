package io.jcluster.internal

import io.jcluster.ScaleResult
import io.jcluster.ClusterSettings
import io.jcluster.ExitStatus
import io.jcluster.ReloadResult
import io.jcluster.Signal
import io.jcluster.Worker
import io.jcluster.ipc.Handle
import kotlinx.coroutines.CompletableDeferred

/** Everything the primary's loop reacts to. Callbacks and API calls only enqueue these. */
internal sealed interface PrimaryInput {
    data class Fork(val worker: Worker, val environment: Map<String, String>) : PrimaryInput
    data class Hello(val workerId: Int, val token: String, val peerPid: Long, val link: WorkerLink) : PrimaryInput
    /** A worker's announcement ([OnlineAnnouncement]), read from the FIFO; [peerPid] is the pid the line gives, which the kernel does not vouch for. */
    data class Started(val workerId: Int, val token: String, val peerPid: Long) : PrimaryInput
    /**
     * A worker's control message, with [reply] if it is a call and the [handle] that came with it (a
     * refused round-robin connection, in a [ControlMessage.HandoffRefused]), which the loop owns.
     */
    data class Control(
        val workerId: Int,
        val link: WorkerLink,
        val message: ControlMessage.ToPrimary,
        val reply: CallReply? = null,
        val handle: Handle? = null,
    ) : PrimaryInput
    data class UserMessage(val workerId: Int, val link: WorkerLink, val payload: Any, val handle: Handle?) : PrimaryInput
    data class LinkDown(val workerId: Int, val link: WorkerLink) : PrimaryInput
    /** [drained]: handle it now, even if the worker's channel is still up (see `PrimaryLoop.exitedOnceDrained`). */
    data class Exited(val workerId: Int, val exit: ExitStatus, val stderr: List<String>, val drained: Boolean = false) : PrimaryInput
    data class Disconnect(val workerId: Int) : PrimaryInput
    data class Kill(val workerId: Int, val signal: Signal) : PrimaryInput
    data class DisconnectTimedOut(val workerId: Int) : PrimaryInput
    data class KillTimedOut(val workerId: Int) : PrimaryInput
    data class Setup(val change: (ClusterSettings) -> ClusterSettings, val done: CompletableDeferred<ClusterSettings>) : PrimaryInput
    data class DisconnectAll(val done: CompletableDeferred<Unit>) : PrimaryInput
    data class KillAll(val signal: Signal, val done: CompletableDeferred<Unit>) : PrimaryInput
    /** Changes the wanted number of workers; [done], if set, hears what really happened. */
    data class Spawn(val change: Resize, val done: CompletableDeferred<ScaleResult>? = null) : PrimaryInput
    data class Reload(val done: CompletableDeferred<ReloadResult>) : PrimaryInput
    /** The backoff of [slot] is over; [token] tells a stale one (the slot was retired or refilled meanwhile). */
    data class Respawn(val slot: Int, val token: Long) : PrimaryInput
    data class BootTimedOut(val workerId: Int) : PrimaryInput
    /** The heartbeat; [token] tells one from before a stop. */
    data class Tick(val token: Long) : PrimaryInput

    /** Answered at once: the loop is alive and takes inputs (systemd's watchdog asks). */
    data class Probe(val done: CompletableDeferred<Unit>) : PrimaryInput

    /** A standby was promoted: under `readyWhen = STARTED` it is ready now (not within the supervisor's call). */
    data class Promoted(val workerId: Int) : PrimaryInput

    /** Time to start the warm standbys that are missing (after a standby died, with its backoff). */
    data class StandbyTopUp(val token: Long) : PrimaryInput
}

/** Answers a worker's control call (a `listen`, say). */
internal interface CallReply {
    suspend fun send(message: ControlMessage.ToWorker, handle: Handle?)

    /** Answers with an error: the worker's call throws with [text]. */
    suspend fun fail(text: String)
}
