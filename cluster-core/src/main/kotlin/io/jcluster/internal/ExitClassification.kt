package io.jcluster.internal

import io.jcluster.ExitReason
import io.jcluster.ExitStatus

/**
 * Why [record]'s process ended with [exit]: the primary's own reason if it stopped the worker (a
 * reload, a missed heartbeat…), else what was asked of it, else what the exit says. The one place
 * an exit is classified; [isFailure] says which reasons supervision counts as failures.
 */
internal fun exitReason(record: WorkerRecord, exit: ExitStatus): ExitReason = record.stopReason ?: when {
    record.disconnectTimedOut -> ExitReason.DISCONNECT_TIMEOUT
    record.killSignal != null -> ExitReason.KILL
    record.disconnectRequested || record.worker.exitedAfterDisconnect -> ExitReason.DISCONNECT
    exit.signal != null -> ExitReason.SIGNAL
    exit.code == 0 -> ExitReason.EXITED
    OutOfMemory.ended(exit, record.stderr) -> ExitReason.OUT_OF_MEMORY
    else -> ExitReason.CRASH
}

/** An exit the worker did not ask for and nobody asked of it: what respawns back off from and budgets count. */
internal val ExitReason.isFailure: Boolean
    get() = this == ExitReason.CRASH || this == ExitReason.OUT_OF_MEMORY || this == ExitReason.SIGNAL || this == ExitReason.EXITED ||
        this == ExitReason.HEARTBEAT || this == ExitReason.BOOT_TIMEOUT
