package io.jcluster.internal

import io.jcluster.ExitStatus
import io.jcluster.WorkerEvent
import io.jcluster.WorkerInput
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlin.time.Duration.Companion.seconds

/**
 * How a worker leaves the primary's loop: its channel closes and its process exits, in either
 * order. Each is recorded on its own (a worker's state is channel × process), each frees the
 * worker's listeners, the exit is classified once and handed to the [Supervisor], and the record
 * leaves the [WorkerTable] once both happened.
 */
internal class WorkerExits(
    private val records: WorkerTable,
    private val ports: PortRegistry,
    private val supervisor: Supervisor,
    private val scope: CoroutineScope,
    private val loop: LoopSide,
) {
    /** [record]'s channel to the primary closed. */
    suspend fun linkDown(record: WorkerRecord) {
        record.channelClosed = true
        ports.removeWorker(record.worker.id)
        record.apply(WorkerInput.ChannelClosed)
        loop.emitFor(record, WorkerEvent.Disconnected(record.worker))
        removeIfGone(record)
        record.exitSeen?.takeIf { record.exit == null }?.let { exited(record, it.exit, it.stderr) }
    }

    /**
     * Handles a process's exit once everything it sent was read: a worker that sent many messages and
     * then `disconnect()`ed may have exited while its last ones (its `Disconnecting` among them) still
     * wait in the socket, and its exit would read as unasked. The link's end, or [EXIT_DRAIN_WAIT],
     * whichever comes first (a child process of the worker could hold the socket open).
     */
    suspend fun exitedOnceDrained(record: WorkerRecord, input: PrimaryInput.Exited) {
        if (record.link == null || record.channelClosed || input.drained) return exited(record, input.exit, input.stderr)
        record.exitSeen = input
        scope.launch { delay(EXIT_DRAIN_WAIT); loop.enqueue(input.copy(drained = true)) }
    }

    /** [record]'s process exited with [observed] (or never started), having written [stderr] last. */
    suspend fun exited(record: WorkerRecord, observed: ExitStatus, stderr: List<String>) {
        val exit = observed.asReportedBy(record).also { record.exit = it }
        record.stderr = stderr
        record.timer?.cancel()
        record.bootTimer?.cancel()
        records.processEnded(record.worker.id)
        ports.removeWorker(record.worker.id)
        record.apply(WorkerInput.ProcessExited(exit))
        record.worker.gone.complete(Unit)
        if (record.link == null && !record.channelClosed) {
            // It never connected: its channel is as closed as it will ever be.
            record.channelClosed = true
            loop.emitFor(record, WorkerEvent.Disconnected(record.worker))
        }
        val reason = exitReason(record, exit)
        loop.emitFor(record, WorkerEvent.Exited(record.worker, exit, record.worker.exitedAfterDisconnect, reason, stderr))
        removeIfGone(record)
        loop.execute(supervisor.exited(record, reason))
    }

    private fun removeIfGone(record: WorkerRecord) {
        if (records.removeIfGone(record)) supervisor.stopped()
    }

    private companion object {
        val EXIT_DRAIN_WAIT = 5.seconds
    }
}
