package io.jcluster.internal

import io.jcluster.Signal
import io.jcluster.Worker
import io.jcluster.WorkerInput
import io.jcluster.WorkerState
import io.jcluster.ExitStatus
import kotlinx.coroutines.Job

/** What the primary's loop knows about one worker. Only the loop touches it. */
internal class WorkerRecord(val worker: Worker, val token: String) {
    var process: LaunchedProcess? = null
    var link: WorkerLink? = null
    var channelClosed = false
    var exit: ExitStatus? = null
    var disconnectRequested = false
    var killSignal: Signal? = null
    var disconnectTimedOut = false
    var timer: Job? = null

    val isGone: Boolean get() = channelClosed && exit != null

    /** Moves the worker's state on; false (and no change) where the transition table has none. */
    fun apply(input: WorkerInput): Boolean {
        val next = worker.mutableState.value.next(input) ?: return false
        worker.mutableState.value = next
        return true
    }

    val state: WorkerState get() = worker.mutableState.value
}
