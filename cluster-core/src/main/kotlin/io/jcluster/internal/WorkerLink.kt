package io.jcluster.internal

import io.jcluster.ipc.Handle
import io.jcluster.ipc.IpcConnection
import io.jcluster.ipc.MessageChannel

/** The primary's line to one connected worker. An interface so that unit specs can fake it. */
internal interface WorkerLink {
    suspend fun sendControl(message: ControlMessage.ToWorker)

    suspend fun sendUser(message: Any, handle: Handle?)

    /**
     * Sends [connection] of [lease] to the worker (round-robin) without waiting for an answer, and
     * closes it here, also if the send fails: the worker owns its copy. [refusedBy]: the leases that
     * refused it already. The answer comes later as [ControlMessage.HandoffsTaken] or [ControlMessage.HandoffRefused].
     */
    suspend fun handoff(lease: Int, connection: Handle, refusedBy: List<Int>)

    /** Sends the worker [end], its end of the pipe [name], and closes it here, also if the send fails. */
    suspend fun openPipe(name: String, end: Handle)

    fun close()
}

/** A [WorkerLink] over a real IPC connection. */
internal class IpcWorkerLink(
    private val connection: IpcConnection,
    private val control: MessageChannel<ControlMessage>,
    private val user: MessageChannel<Any>,
) : WorkerLink {
    override suspend fun sendControl(message: ControlMessage.ToWorker) = control.send(message)

    override suspend fun sendUser(message: Any, handle: Handle?) = user.send(message, handle)

    override suspend fun handoff(lease: Int, connection: Handle, refusedBy: List<Int>) {
        try {
            control.send(ControlMessage.Handoff(lease, refusedBy), connection)
        } finally {
            connection.close() // send returns once the descriptor is in the socket or duplicated in the queue
        }
    }

    override suspend fun openPipe(name: String, end: Handle) {
        try {
            control.send(ControlMessage.PipeOpened(name), end)
        } finally {
            end.close() // send returns once the descriptor is in the socket or duplicated in the queue
        }
    }

    override fun close() = connection.close()
}
