package io.jcluster.internal

import io.jcluster.ipc.Handle
import io.jcluster.ipc.IpcConnection
import io.jcluster.ipc.MessageChannel

/** The primary's line to one connected worker. An interface so that unit specs can fake it. */
internal interface WorkerLink {
    suspend fun sendControl(message: ControlMessage)

    suspend fun sendUser(message: Any, handle: Handle?)

    /** Hands a connection of [lease] to the worker (round-robin); true if it took it, false if it refused. */
    suspend fun handoff(lease: Int, connection: Handle): Boolean

    fun close()
}

/** A [WorkerLink] over a real IPC connection. */
internal class IpcWorkerLink(
    private val connection: IpcConnection,
    private val control: MessageChannel<ControlMessage>,
    private val user: MessageChannel<Any>,
) : WorkerLink {
    override suspend fun sendControl(message: ControlMessage) = control.send(message)

    override suspend fun sendUser(message: Any, handle: Handle?) = user.send(message, handle)

    override suspend fun handoff(lease: Int, connection: Handle): Boolean {
        val answer = control.call(ControlMessage.Handoff(lease), connection).message
        return answer is ControlMessage.HandoffAnswer && answer.accepted
    }

    override fun close() = connection.close()
}
