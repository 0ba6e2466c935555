package io.jcluster.ipc.internal

import io.jcluster.ipc.Handle
import io.jcluster.ipc.MalformedFrameException
import java.io.ByteArrayOutputStream
import java.io.DataOutputStream
import java.io.FileDescriptor
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

    private const val IP_LITERAL_CHARS = "0123456789abcdefABCDEF.:"

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
            TCP_LISTENER -> Handle.TcpListener(JdkChannels.adoptServer(fd, family!!))
            TCP_CONNECTION -> Handle.TcpConnection(JdkChannels.adoptSocket(fd, family!!, parseInet(address)))
            UNIX_LISTENER -> Handle.UnixListener(JdkChannels.adoptServer(fd, family!!))
            UNIX_CONNECTION -> Handle.UnixConnection(JdkChannels.adoptSocket(fd, family!!, UnixDomainSocketAddress.of(address)))
            RAW_FD -> Handle.RawFd(fd)
            else -> throw MalformedFrameException("unknown handle type $type")
        }
    }

    private fun parseInet(text: String): SocketAddress? {
        if (text.isEmpty()) return null
        val colon = text.lastIndexOf(':')
        if (colon <= 0) throw MalformedFrameException("bad remote address '$text' in a handle descriptor")
        val host = text.substring(0, colon)
        val port = text.substring(colon + 1).toIntOrNull() ?: throw MalformedFrameException("bad port in '$text'")
        // Only IP literals: a host name here would send the reader thread to DNS.
        if (!host.all { it in IP_LITERAL_CHARS }) throw MalformedFrameException("remote address '$host' is not an IP literal")
        return InetSocketAddress(host, port)
    }
}
