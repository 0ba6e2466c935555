package io.jcluster.ipc

import io.jcluster.ipc.internal.JdkChannels
import io.jcluster.ipc.internal.NativePeek
import java.nio.ByteBuffer
import java.nio.channels.SocketChannel

/**
 * Reads what a client sent on a connected socket without consuming it (`recv` with `MSG_PEEK`): the
 * bytes stay in the kernel for whoever serves the connection next, in this process or in another
 * one the socket is handed to. The primary routes sticky sessions by them.
 */
public object SocketPeek {
    /**
     * Copies the bytes waiting on [channel] (a JDK socket channel), up to [into]'s remaining room and
     * from its start, into [into] (a direct buffer), advancing its position. Returns how many, -1 once
     * the client closed without sending more, or 0 if none waits and the channel is non-blocking (a
     * blocking channel waits for the first byte).
     *
     * @throws java.io.IOException if the socket failed (reset by the client, say).
     */
    @JvmStatic
    public fun peek(channel: SocketChannel, into: ByteBuffer): Int = NativePeek.peek(JdkChannels.fdOf(channel), into)
}
