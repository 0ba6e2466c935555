package io.jcluster.ipc.internal

import io.jcluster.ipc.Handle
import io.jcluster.ipc.MalformedFrameException
import java.io.ByteArrayOutputStream
import java.io.DataOutputStream
import java.io.FileDescriptor
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ProtocolFamily
import java.net.SocketAddress
import java.net.StandardProtocolFamily
import java.net.UnixDomainSocketAddress
import java.nio.ByteBuffer

/**
 * Describes handles on the wire, one descriptor each: type (1 byte), protocol family (1 byte),
 * address length (2 bytes) and the address as UTF-8 (a connection's remote `host:port` or socket path).
 * The descriptor tells the receiver what to build around the file descriptor that arrives beside it.
 */
internal object HandleWire {
    private const val TCP_LISTENER = 1
    private const val TCP_CONNECTION = 2
    private const val UNIX_LISTENER = 3
    private const val UNIX_CONNECTION = 4
    private const val RAW_FD = 5
    private const val DATAGRAM = 6

    private const val MAX_PORT = 65535
    private val IPV4 = Regex("""\d{1,3}(\.\d{1,3}){3}""")

    private val families = mapOf<ProtocolFamily, Int>(
        StandardProtocolFamily.INET to 4, StandardProtocolFamily.INET6 to 6, StandardProtocolFamily.UNIX to 1)

    /** The descriptors of [handles], and the file descriptors to send beside them (still owned by the handles). */
    fun describe(handles: List<Handle>): Pair<ByteArray, Array<FileDescriptor>> {
        val out = ByteArrayOutputStream()
        val data = DataOutputStream(out)
        val fds = handles.map { handle ->
            val (type, channel) = when (handle) {
                is Handle.TcpListener -> TCP_LISTENER to handle.channel
                is Handle.TcpConnection -> TCP_CONNECTION to handle.channel
                is Handle.UnixListener -> UNIX_LISTENER to handle.channel
                is Handle.UnixConnection -> UNIX_CONNECTION to handle.channel
                is Handle.RawFd -> RAW_FD to null
                is Handle.Datagram -> DATAGRAM to handle.channel
            }
            require(channel == null || channel.isOpen) { "cannot send $handle: its channel is closed" }
            val address = if (handle is Handle.TcpConnection) handle.remoteAddress?.let { "${it.address.hostAddress}:${it.port}" } else null
            val encodedAddress = (address ?: "").encodeToByteArray()
            data.writeByte(type)
            data.writeByte(channel?.let { families.getValue(JdkChannels.familyOf(it)) } ?: 0)
            data.writeShort(encodedAddress.size)
            data.write(encodedAddress)
            if (channel != null) JdkChannels.fdOf(channel) else (handle as Handle.RawFd).fd
        }
        return out.toByteArray() to fds.toTypedArray()
    }

    /**
     * Builds the handles that [descriptors] announce around [fds], which this side now owns. On any
     * error every descriptor in [fds] is closed before the exception leaves.
     */
    fun receive(descriptors: ByteBuffer, fds: List<FileDescriptor>): List<Handle> {
        val built = ArrayList<Handle>(fds.size)
        try {
            for (fd in fds) built += build(descriptors, fd)
            if (descriptors.hasRemaining()) throw MalformedFrameException("handle descriptors have ${descriptors.remaining()} trailing bytes")
            return built
        } catch (e: Throwable) {
            built.forEach { runCatching { it.close() } }
            fds.drop(built.size).forEach { runCatching { FileDescriptors.close(it) } }
            throw e
        }
    }

    private fun build(descriptors: ByteBuffer, fd: FileDescriptor): Handle {
        if (descriptors.remaining() < 4) throw MalformedFrameException("handle descriptor truncated")
        val type = descriptors.get().toInt()
        val familyCode = descriptors.get().toInt()
        val addressLength = descriptors.getShort().toInt() and 0xFFFF
        if (descriptors.remaining() < addressLength) throw MalformedFrameException("handle address truncated")
        val address = ByteArray(addressLength).also { descriptors.get(it) }.decodeToString()
        val family = families.entries.firstOrNull { it.value == familyCode }?.key
        if (type != RAW_FD && family == null) throw MalformedFrameException("unknown protocol family $familyCode in a handle descriptor")
        return when (type) {
            TCP_LISTENER -> Handle.TcpListener(adopt(type) { JdkChannels.adoptServer(fd, family!!) })
            TCP_CONNECTION -> parseInet(address).let { remote -> Handle.TcpConnection(adopt(type) { JdkChannels.adoptSocket(fd, family!!, remote) }) }
            UNIX_LISTENER -> Handle.UnixListener(adopt(type) { JdkChannels.adoptServer(fd, family!!) })
            UNIX_CONNECTION -> parseUnix(address).let { remote -> Handle.UnixConnection(adopt(type) { JdkChannels.adoptSocket(fd, family!!, remote) }) }
            RAW_FD -> Handle.RawFd(fd)
            DATAGRAM -> Handle.Datagram(adopt(type) { JdkChannels.adoptDatagram(fd) })
            else -> throw MalformedFrameException("unknown handle type $type")
        }
    }

    /**
     * The JDK channel for a received descriptor. The JDK asks the socket for its address as it wraps
     * it; a descriptor that is not the socket its descriptor says (a pipe, a file) fails there.
     */
    private fun <C> adopt(type: Int, wrap: () -> C): C =
        try {
            wrap()
        } catch (e: java.lang.reflect.InvocationTargetException) {
            throw MalformedFrameException("a handle descriptor says ${typeName(type)} but its file descriptor is not one: ${e.cause ?: e}")
        }

    private fun typeName(type: Int): String = when (type) {
        TCP_LISTENER -> "TCP listener"
        TCP_CONNECTION -> "TCP connection"
        UNIX_LISTENER -> "Unix listener"
        DATAGRAM -> "datagram socket"
        else -> "Unix connection"
    }

    private fun parseUnix(text: String): SocketAddress =
        try {
            UnixDomainSocketAddress.of(text)
        } catch (e: IllegalArgumentException) { // InvalidPathException: a NUL byte, say
            throw MalformedFrameException("bad socket path in a handle descriptor: ${e.message}")
        }

    private fun parseInet(text: String): SocketAddress? {
        if (text.isEmpty()) return null
        val colon = text.lastIndexOf(':')
        if (colon <= 0) throw MalformedFrameException("bad remote address '$text' in a handle descriptor")
        val host = text.substring(0, colon)
        val port = text.substring(colon + 1).toIntOrNull()?.takeIf { it in 0..MAX_PORT }
            ?: throw MalformedFrameException("bad port in the remote address '$text' of a handle descriptor")
        return InetSocketAddress(ipLiteral(host), port)
    }

    /**
     * [host] as an address, only if it is an IP literal: a host name here would send the reader thread
     * to DNS. A dotted quad is IPv4; anything with a colon is IPv6, looked up in brackets, which the
     * JDK parses as a literal or refuses, never resolves (`cafe` or `beef` alone would be resolved).
     */
    private fun ipLiteral(host: String): InetAddress {
        val literal = when {
            IPV4.matches(host) && host.split('.').all { it.toInt() <= 255 } -> host
            ':' in host -> "[$host]"
            else -> throw MalformedFrameException("remote address '$host' in a handle descriptor is not an IP literal")
        }
        return try {
            InetAddress.getByName(literal)
        } catch (e: java.net.UnknownHostException) {
            throw MalformedFrameException("remote address '$host' in a handle descriptor is not an IP literal: ${e.message}")
        }
    }
}
