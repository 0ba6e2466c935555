package io.jcluster.internal

import io.jcluster.ExitReason
import io.jcluster.ExitStatus
import io.jcluster.Signal
import io.jcluster.Worker
import io.jcluster.WorkerInput
import io.jcluster.WorkerState
import kotlinx.coroutines.Job
import kotlin.time.ComparableTimeMark

/** What the primary's loop knows about one worker. Only the loop touches it. */
internal class WorkerRecord(val worker: Worker, val token: String, val startedAt: ComparableTimeMark) {
    var process: LaunchedProcess? = null
    var link: WorkerLink? = null
    var channelClosed = false
    var exit: ExitStatus? = null
    var disconnectRequested = false
    var killSignal: Signal? = null
    var disconnectTimedOut = false
    var timer: Job? = null

    /** Why the primary itself ended this worker (a reload, a missed heartbeat…); null if it did not. */
    var stopReason: ExitReason? = null

    /** The process's exit, seen while its channel still had messages to read; handled at the link's end. */
    var exitSeen: PrimaryInput.Exited? = null
    var ready = false

    /** Whether its `Online` came: with its announcement ([OnlineAnnouncement]) or with its hello. */
    var online = false

    /** A warm standby not yet promoted: the cluster does not see it (no events, not in `workers`). */
    var standby = false

    /** A standby's [BuildKey.ofCode] when it was started, if a reload may promote it ([io.jcluster.Supervision.reloadTakesStandbys]). */
    var build: String? = null

    /** The listen calls it made as a standby: answered once it is promoted, right after its `Promote`. */
    val heldUntilPromoted = ArrayList<PrimaryInput.Control>()

    /** When it became ready; null while it boots. */
    var readyAt: ComparableTimeMark? = null
    var bootTimer: Job? = null
    @Volatile var lastPong: ComparableTimeMark? = null // read by the round-robin router: see Lateness
    var liveHeap = 0L

    /** The code the worker said it exits with ([ControlMessage.Exiting]); null if it said nothing. */
    var exitingWith: Int? = null

    /** Its recent heartbeats' vitals, for the JVM-aware checks. */
    val health = Health()

    /** The first lines the process wrote to stderr, once it exited. */
    var stderr: List<String> = emptyList()

    val isGone: Boolean get() = channelClosed && exit != null

    /** True while the worker runs and nobody has asked it to stop. */
    val isServing: Boolean get() = exit == null && !disconnectRequested && stopReason == null && killSignal == null

    /** Moves the worker's state on; false (and no change) where the transition table has none. */
    fun apply(input: WorkerInput): Boolean {
        val next = worker.mutableState.value.next(input) ?: return false
        worker.mutableState.value = next
        return true
    }

    val state: WorkerState get() = worker.mutableState.value

    /** Takes a heartbeat's answer, which came at [now]. */
    fun pong(message: ControlMessage.Pong, now: ComparableTimeMark, healthWindow: kotlin.time.Duration) {
        lastPong = now
        liveHeap = message.liveHeap
        health.record(message, healthWindow)
        worker.lastReport = WorkerReport(message.liveHeap, io.jcluster.WorkerLoad(message.requests, message.openConnections))
    }
}

/** "worker N ended (reason, exit)", with the first lines of its stderr. */
internal fun WorkerRecord.describe(reason: ExitReason): String = "worker ${worker.id} ended (${reason.name.lowercase()}, $exit)${stderrLines()}"

/** "; its stderr:" and its first lines, or nothing. */
internal fun WorkerRecord.stderrLines(): String = stderr.takeIf { it.isNotEmpty() }?.joinToString("\n  ", prefix = "; its stderr:\n  ") ?: ""
