package io.jcluster.internal

import io.jcluster.SharingStrategy
import io.jcluster.ipc.Handle
import java.net.UnixDomainSocketAddress
import java.nio.channels.ServerSocketChannel

/**
 * `shared`: the primary binds once and sends the listening socket to each worker, which accepts on
 * it. The primary keeps its copy, so a worker that leaves drops none of the queued connections.
 */
internal class SharedHandle(key: PortKey, private val channel: ServerSocketChannel) : PortHandle(key, channel.localAddress) {
    override val strategy: SharingStrategy get() = SharingStrategy.SHARED
    override val listener: ServerSocketChannel get() = channel

    override fun add(lease: Lease): Grant {
        val granted = super.add(lease)
        val socket = if (address is UnixDomainSocketAddress) Handle.UnixListener(channel) else Handle.TcpListener(channel)
        return Grant(granted.message, socket)
    }

    override fun close() {
        channel.close()
        if (!keepSocketFile) SocketBinding.removeSocketFile(address)
    }
}
