package io.jcluster.ipc

import kotlinx.serialization.SerialName
import kotlinx.serialization.Serializable

/** The protocol the specs and [PeerMain] speak. */
@Serializable
sealed interface TestMessage {
    @Serializable @SerialName("text")
    data class Text(val seq: Int, val body: String) : TestMessage

    @Serializable @SerialName("number")
    data class Number(val seq: Int, val value: Long) : TestMessage

    /** Asks the peer to send [count] messages back, alternating types. */
    @Serializable @SerialName("burst")
    data class Burst(val count: Int) : TestMessage

    /** Comes with a listening socket: the peer accepts one connection on it and greets it. */
    @Serializable @SerialName("serve-listener")
    data object ServeListener : TestMessage

    /** Comes with an accepted connection: the peer answers it and closes it. */
    @Serializable @SerialName("serve-connection")
    data object ServeConnection : TestMessage

    /** Comes with a handle the peer only closes (fd-leak checks). */
    @Serializable @SerialName("drop-handle")
    data object DropHandle : TestMessage

    /** A call: the peer answers with its open descriptors ([FdCount]). */
    @Serializable @SerialName("count-fds")
    data object CountFds : TestMessage

    @Serializable @SerialName("fd-count")
    data class FdCount(val count: Int, val targets: String) : TestMessage

    /** A call the peer never answers. */
    @Serializable @SerialName("ignore-me")
    data object IgnoreMe : TestMessage

    /** A call the peer answers with an error. */
    @Serializable @SerialName("fail-me")
    data object FailMe : TestMessage
}
