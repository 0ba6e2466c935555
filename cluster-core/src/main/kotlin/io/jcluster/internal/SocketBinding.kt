package io.jcluster.internal

import java.net.BindException
import java.net.InetSocketAddress
import java.net.SocketAddress
import java.net.StandardProtocolFamily
import java.net.StandardSocketOptions
import java.net.UnixDomainSocketAddress
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.nio.channels.UnresolvedAddressException
import java.nio.channels.UnsupportedAddressTypeException
import java.nio.file.Files

/**
 * Binds listening sockets, the same way in the primary and in a worker, and turns every way a bind
 * can fail (port in use, privileged port, an address that is not ours or does not resolve) into a
 * [BindException] that names the address, as `ServerSocket.bind` users expect.
 */
internal object SocketBinding {
    /** A bound, listening channel on [address]; with [reusePort], one of a `SO_REUSEPORT` group. */
    fun listen(address: SocketAddress, backlog: Int, reusePort: Boolean = false): ServerSocketChannel {
        val channel = when (address) {
            is UnixDomainSocketAddress -> ServerSocketChannel.open(StandardProtocolFamily.UNIX)
            else -> ServerSocketChannel.open()
        }
        return try {
            if (address is InetSocketAddress) {
                channel.setOption(StandardSocketOptions.SO_REUSEADDR, true)
                if (reusePort) channel.setOption(StandardSocketOptions.SO_REUSEPORT, true)
            }
            channel.bind(address, backlog)
            channel
        } catch (e: Exception) {
            channel.close()
            throw bindFailure(address, e)
        }
    }

    /**
     * Reserves [address]'s port for a `SO_REUSEPORT` group without listening on it: a bound TCP socket
     * that is never connected takes no connections, yet holds the port (and gives `listen(0)` its port).
     * With `SO_REUSEADDR`, as every listener here: connections the port served and closed first (left
     * in TIME_WAIT, as after `Connection: close` traffic) do not keep a restarted cluster off it.
     */
    fun reservePort(address: InetSocketAddress): SocketChannel {
        val channel = SocketChannel.open()
        return try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true)
            channel.setOption(StandardSocketOptions.SO_REUSEPORT, true)
            channel.bind(address)
            channel
        } catch (e: Exception) {
            channel.close()
            throw bindFailure(address, e)
        }
    }

    /** Removes the socket file a Unix-domain listener leaves behind. */
    fun removeSocketFile(address: SocketAddress) {
        if (address is UnixDomainSocketAddress) runCatching { Files.deleteIfExists(address.path) }
    }

    fun describe(address: SocketAddress): String = when (address) {
        is InetSocketAddress -> "${address.hostString}:${address.port}"
        is UnixDomainSocketAddress -> address.path.toString()
        else -> address.toString()
    }

    private fun bindFailure(address: SocketAddress, cause: Exception): BindException {
        val why = when (cause) {
            is UnresolvedAddressException -> "cannot resolve the host"
            is UnsupportedAddressTypeException -> "unsupported address type"
            else -> cause.message ?: cause.javaClass.simpleName
        }
        return BindException("$why: ${describe(address)}").apply { initCause(cause) }
    }
}
