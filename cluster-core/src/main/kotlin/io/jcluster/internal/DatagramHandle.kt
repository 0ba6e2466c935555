package io.jcluster.internal

import io.jcluster.SharingStrategy
import io.jcluster.ipc.Handle
import java.net.BindException
import java.net.InetSocketAddress
import java.nio.channels.DatagramChannel

/**
 * A UDP socket the workers share: the primary binds it once and sends it to every worker, as
 * [SharedHandle] does a listening socket (hence [SharingStrategy.SHARED]). Its queue belongs to the
 * socket, not to a worker: a worker that goes loses none of it, and the port stays bound by the
 * primary while workers come and go.
 */
internal class DatagramHandle(key: PortKey, val channel: DatagramChannel) : PortHandle(key, channel.localAddress) {
    override val strategy: SharingStrategy get() = SharingStrategy.SHARED

    override fun add(lease: Lease): Grant = Grant(super.add(lease).message, Handle.Datagram(channel))

    override fun close() {
        channel.close()
    }

    companion object {
        /**
         * A bound, non-blocking UDP socket on [address]. Opened without a protocol family, as the JDK
         * makes the channel a worker wraps around it (IPv6 where available, which takes IPv4 too).
         * Non-blocking because the mode belongs to the socket: a worker's selector must never block
         * because another worker wanted it blocking (the JDK's blocking mode works on it either way).
         */
        fun bind(address: InetSocketAddress): DatagramChannel {
            val channel = DatagramChannel.open()
            return try {
                channel.bind(address)
                channel.configureBlocking(false)
                channel
            } catch (e: Exception) {
                channel.close()
                throw BindException("${e.message ?: e.javaClass.simpleName}: udp ${SocketBinding.describe(address)}").apply { initCause(e) }
            }
        }
    }
}
