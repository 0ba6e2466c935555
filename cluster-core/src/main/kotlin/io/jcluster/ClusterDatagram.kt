package io.jcluster

import java.net.InetSocketAddress
import java.nio.channels.DatagramChannel

/**
 * A UDP socket every worker shares (Node's `dgram` in a cluster), from [Cluster.listenDatagram]: the
 * primary binds it once and each worker holds the same socket, so each datagram reaches one of the
 * workers (whichever reads first), and a reply sent from any of them comes from the same address.
 * The primary keeps its copy: a worker that dies loses none of the datagrams queued on the port, and
 * the others go on receiving them. docs/udp.md says why one shared socket rather than `SO_REUSEPORT`.
 *
 * The socket is non-blocking for every process that holds it; [channel] in its default blocking mode
 * still blocks in `receive` (the JDK waits for the socket to be readable), and works with a selector
 * once made non-blocking. Do not make it blocking again after that: the mode belongs to the socket,
 * and the other workers' selectors would then block. Close it through this object.
 */
public class ClusterDatagram internal constructor(
    /** The address bound, with the real port (also after port 0). */
    public val address: InetSocketAddress,
    /** The shared socket; receive and send on it. */
    public val channel: DatagramChannel,
    private val onClose: () -> Unit,
) : AutoCloseable {
    private var closed = false

    /** The real port. */
    public val port: Int get() = address.port

    /** Stops receiving here and gives the socket back (the others keep it); idempotent. */
    @Synchronized
    override fun close() {
        if (closed) return
        closed = true
        onClose()
    }

    override fun toString(): String = "ClusterDatagram($address)"
}
