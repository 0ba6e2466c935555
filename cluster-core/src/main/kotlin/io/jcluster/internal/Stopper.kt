package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterSettings
import io.jcluster.ExitReason
import io.jcluster.Signal
import io.jcluster.WorkerInput
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds

private val log = KotlinLogging.logger {}

/**
 * How the primary's loop stops a worker, step by step: disconnect (its servers close and its work
 * finishes), then TERM past the disconnect timeout, then KILL past the kill timeout; or a thread dump
 * (QUIT) and KILL for a hung one. The timers only enqueue; the loop takes each next step. Only the
 * loop calls it.
 */
internal class Stopper(
    private val scope: CoroutineScope,
    private val settings: () -> ClusterSettings,
    private val enqueue: (PrimaryInput) -> Unit,
    private val ports: PortRegistry,
) {
    /** Asks [record]'s worker to disconnect (now, or once it is online), and starts the disconnect timeout. */
    fun requestDisconnect(record: WorkerRecord) {
        if (record.exit != null || record.disconnectRequested) return
        record.disconnectRequested = true
        record.worker.exitedAfterDisconnectFlag = true
        record.apply(WorkerInput.DisconnectRequested)
        ports.drain(record.worker.id)
        if (record.link != null) sendDisconnect(record)
        startDisconnectTimer(record)
    }

    fun sendDisconnect(record: WorkerRecord) {
        val link = record.link ?: return
        scope.launch(start = CoroutineStart.UNDISPATCHED) { runCatching { link.sendControl(ControlMessage.Disconnect) } }
    }

    fun startDisconnectTimer(record: WorkerRecord) {
        if (record.timer != null) return
        record.timer = later(settings().disconnectTimeout, PrimaryInput.DisconnectTimedOut(record.worker.id))
    }

    /** The disconnect timeout passed: TERM now, KILL after the kill timeout. */
    fun disconnectTimedOut(record: WorkerRecord) {
        if (record.exit != null) return
        log.warn { "worker ${record.worker.id} did not exit within ${settings().disconnectTimeout} of disconnect; sending TERM" }
        record.disconnectTimedOut = true
        record.process?.signal(Signal.TERM)
        record.timer = later(settings().killTimeout, PrimaryInput.KillTimedOut(record.worker.id))
    }

    fun kill(record: WorkerRecord, signal: Signal) {
        if (record.exit != null) return
        record.worker.exitedAfterDisconnectFlag = true
        record.killSignal = signal
        // The channel closes when the process dies: closing it first could make the worker exit on
        // its own (code 70) before the signal lands, and the exit would not show the signal.
        record.process?.signal(signal)
    }

    /** Disconnects [record] gracefully for the supervisor; its exit will carry [reason]. */
    fun retire(record: WorkerRecord, reason: ExitReason) {
        if (record.stopReason == null && record.exit == null) record.stopReason = reason
        requestDisconnect(record)
    }

    /** Asks [record] for a thread dump, then kills it after [DUMP_GRACE]; its exit will carry [reason]. */
    fun dumpAndKill(record: WorkerRecord, reason: ExitReason) {
        record.stopReason = reason
        dump(record)
        record.timer?.cancel()
        record.timer = later(DUMP_GRACE, PrimaryInput.KillTimedOut(record.worker.id))
    }

    /** Asks [record] for a thread dump: HotSpot prints it to the worker's stdout, and goes on. */
    fun dump(record: WorkerRecord) {
        if (record.exit == null) record.process?.signal(Signal.QUIT)
    }

    private fun later(delay: Duration, input: PrimaryInput): Job = scope.launch { delay(delay); enqueue(input) }

    private companion object {
        val DUMP_GRACE = 1.seconds
    }
}
