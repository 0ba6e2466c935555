package io.jcluster.internal

import io.jcluster.StickySessions
import java.net.InetSocketAddress
import java.nio.channels.SocketChannel
import kotlin.time.Duration

/**
 * The key of each connection of a sticky round-robin listener, as a [Rendezvous] hash: the client's
 * IP address, or what [StickySessions.key] finds in the first bytes ([FirstBytesPeeker]), falling
 * back to the IP address when they hold no key or do not come in time.
 */
internal class StickyRouter(sessions: StickySessions, name: String) : AutoCloseable {
    private val peeker = sessions.key?.let { FirstBytesPeeker(it, sessions.peekBytes, sessions.peekTimeout, name) }

    /** Whether keys come from the first bytes ([peekKey]) rather than from the IP address alone ([ipKey]). */
    val peeks: Boolean get() = peeker != null

    /** The longest a connection waits for its first bytes. */
    val peekTimeout: Duration = sessions.peekTimeout

    /** Connections waiting for their first bytes. */
    val pending: Int get() = peeker?.pending ?: 0

    /** [connection]'s client IP address, hashed; 0 for a connection with none (a Unix-domain socket's, or one already reset). */
    fun ipKey(connection: SocketChannel): Long {
        val remote = runCatching { connection.remoteAddress as? InetSocketAddress }.getOrNull()?.address ?: return 0
        return Rendezvous.hash(remote.address)
    }

    /** Calls [routed], on the peeker's thread, with [connection]'s key once its first bytes came (or did not). */
    fun peekKey(connection: SocketChannel, routed: (Long) -> Unit) {
        val ip = ipKey(connection)
        checkNotNull(peeker).submit(connection) { key -> routed(if (key.isNullOrEmpty()) ip else Rendezvous.hash(key.encodeToByteArray())) }
    }

    override fun close() {
        peeker?.close()
    }
}
