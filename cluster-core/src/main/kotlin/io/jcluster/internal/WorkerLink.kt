package io.jcluster.internal

import io.jcluster.ipc.Handle
import io.jcluster.ipc.IpcConnection
import io.jcluster.ipc.MessageChannel

/** The primary's line to one connected worker. An interface so that unit specs can fake it. */
internal interface WorkerLink {
    suspend fun sendControl(message: ControlMessage)

    suspend fun sendUser(message: Any, handle: Handle?)

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

    override fun close() = connection.close()
}
