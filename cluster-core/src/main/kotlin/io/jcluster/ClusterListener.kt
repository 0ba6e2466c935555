package io.jcluster

import io.jcluster.internal.SocketBinding
import java.net.InetSocketAddress
import java.net.ProtocolFamily
import java.net.SocketAddress
import java.net.StandardProtocolFamily
import java.net.UnixDomainSocketAddress
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel

/**
 * What [Cluster.listen] gives a server to serve on: either a listening socket it accepts on itself
 * ([Socket]: in the primary, exclusive, shared, reuse-port) or connections the primary accepted for
 * it ([Connections]: round-robin). A server adapter serves on it, then calls [listening] once it really
 * accepts; that emits [WorkerEvent.Listening] in the primary and, under round-robin, starts the
 * hand-offs. [close] gives the listener back and returns once the primary has it (and has closed its
 * socket, if this was the last worker on it), so a `listen` on the same port may follow at once;
 * close it through this object, not through the channel.
 */
public sealed class ClusterListener : AutoCloseable {
    /** The address bound: an [InetSocketAddress] with the real port (also after `listen(0)`), or a [UnixDomainSocketAddress]. */
    public abstract val address: SocketAddress

    /** How the workers share it; null when it is not shared (in the primary, or [ListenOptions.exclusive]). */
    public abstract val strategy: SharingStrategy?

    /** The real port, or -1 for a Unix-domain socket. */
    public val port: Int get() = (address as? InetSocketAddress)?.port ?: -1

    /** INET, INET6 or UNIX. */
    public val family: ProtocolFamily get() = familyOf(address)

    /** Tells the cluster this listener's server accepts connections now. Call it once, after the server started. */
    public abstract fun listening()

    /** Stops serving on this listener and gives it back, waiting (a few seconds at most) for the primary to take it; idempotent. */
    abstract override fun close()

    /** A listening socket this process accepts on. */
    public class Socket internal constructor(
        override val address: SocketAddress,
        override val strategy: SharingStrategy?,
        /** The listening channel; its blocking mode is shared with every process that holds the socket. */
        public val channel: ServerSocketChannel,
        private val onListening: () -> Unit,
        private val onClose: () -> Unit,
    ) : ClusterListener() {
        private val once = Once()

        override fun listening(): Unit = once.listening(onListening)

        override fun close(): Unit = once.close(onClose)

        override fun toString(): String = "ClusterListener.Socket($address, ${strategy ?: "local"})"
    }

    /**
     * Connections the primary accepted and handed to this worker (round-robin). Set [onConnection]
     * before calling [listening]: hand-offs start with [listening].
     */
    public class Connections internal constructor(
        override val address: SocketAddress,
        private val onListening: () -> Unit,
        private val onClose: () -> Unit,
    ) : ClusterListener() {
        private val once = Once()

        @Volatile internal var handler: ConnectionHandler? = null

        override val strategy: SharingStrategy get() = SharingStrategy.ROUND_ROBIN

        /**
         * Sets what takes each handed connection. It runs on the IPC thread, so it must be quick (hand
         * the channel to a selector, say). Returning false refuses the connection: the primary gives
         * it to another worker.
         */
        public fun onConnection(handler: ConnectionHandler) {
            this.handler = handler
        }

        override fun listening() {
            checkNotNull(handler) { "set onConnection { } before listening(): under round-robin the primary hands connections to it" }
            once.listening(onListening)
        }

        override fun close(): Unit = once.close(onClose)

        override fun toString(): String = "ClusterListener.Connections($address)"
    }

    internal companion object {
        /** A listener this process binds alone (in the primary, or exclusive in a worker). */
        fun local(address: SocketAddress, backlog: Int, onListening: (SocketAddress) -> Unit): Socket {
            val channel = SocketBinding.listen(address, backlog)
            val bound = channel.localAddress
            return Socket(bound, null, channel, { onListening(bound) }) {
                channel.close()
                SocketBinding.removeSocketFile(bound)
            }
        }

        fun familyOf(address: SocketAddress): ProtocolFamily = when (address) {
            is UnixDomainSocketAddress -> StandardProtocolFamily.UNIX
            is InetSocketAddress -> if (address.address is java.net.Inet6Address) StandardProtocolFamily.INET6 else StandardProtocolFamily.INET
            else -> throw IllegalArgumentException("not a socket address the cluster knows: $address")
        }
    }
}

/** Takes a connection the primary handed over; see [ClusterListener.Connections.onConnection]. */
public fun interface ConnectionHandler {
    /** Takes [connection] (now owned by the handler) and returns true, or returns false to refuse it. */
    public fun accept(connection: SocketChannel): Boolean
}

/** Runs each of `listening` and `close` at most once, `listening` never after `close`. */
private class Once {
    private var listened = false
    private var closed = false

    @Synchronized fun listening(action: () -> Unit) {
        check(!closed) { "this listener is closed" }
        if (listened) return
        listened = true
        action()
    }

    @Synchronized fun close(action: () -> Unit) {
        if (closed) return
        closed = true
        action()
    }
}
