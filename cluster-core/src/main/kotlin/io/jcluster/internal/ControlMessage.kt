package io.jcluster.internal

import kotlinx.serialization.SerialName
import kotlinx.serialization.Serializable

/**
 * The framework's own protocol between primary and worker, on the control lane. Application code
 * never sees it. A message a side does not know is logged and dropped (see `IpcConnection.errors`).
 */
@Serializable
internal sealed interface ControlMessage {
    /** Worker → primary, first message: who it is, with the one-time token from its environment. */
    @Serializable @SerialName("hello")
    data class Hello(val workerId: Int, val token: String) : ControlMessage

    /** Primary → worker: close your servers, finish your work, exit. */
    @Serializable @SerialName("disconnect")
    data object Disconnect : ControlMessage

    /** Worker → primary: I am disconnecting on my own (`Cluster.worker.disconnect()`). */
    @Serializable @SerialName("disconnecting")
    data object Disconnecting : ControlMessage

    /** Worker → primary: a server of mine accepts connections on this address. */
    @Serializable @SerialName("listening")
    data class Listening(val host: String, val port: Int) : ControlMessage
}
