package io.jcluster.ipc

import io.jcluster.ipc.internal.FileDescriptors
import java.io.Closeable
import java.io.FileDescriptor
import java.net.InetSocketAddress
import java.net.SocketAddress
import java.nio.channels.DatagramChannel
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel

/**
 * An operating-system handle that travels with a message as a file descriptor (`SCM_RIGHTS`).
 *
 * Ownership: the **sender keeps** its handle; [MessageChannel.send] returns once the descriptor is in
 * the socket or queued as a duplicate that the IPC layer closes once written (or dropped), and the
 * sender closes its copy when it no longer needs it, which may be at once. The **receiver owns** every
 * handle it is given and must close it (closing the channel a handle wraps closes the handle). A handle
 * the receiver never gets, because the channel closed first or the message could not be decoded, is
 * closed by the IPC layer.
 *
 * Received sockets are real JDK channels (`sun.nio.ch`), usable with selectors, Jetty and the JDK's
 * HTTP server. This needs `--add-opens java.base/sun.nio.ch=ALL-UNNAMED` on both JVMs.
 */
public sealed class Handle : Closeable {
    /** A listening TCP socket: the receiver can accept connections on it. */
    public class TcpListener(public val channel: ServerSocketChannel) : Handle() {
        override fun close(): Unit = channel.close()
        override fun toString(): String = "TcpListener(${channel.localAddress})"
    }

    /** An accepted (connected) TCP socket. */
    public class TcpConnection(public val channel: SocketChannel) : Handle() {
        /** The client's address, as the accepting side saw it. */
        public val remoteAddress: InetSocketAddress? get() = channel.remoteAddress as InetSocketAddress?
        override fun close(): Unit = channel.close()
        override fun toString(): String = "TcpConnection(${remoteAddress})"
    }

    /** A listening Unix-domain stream socket. */
    public class UnixListener(public val channel: ServerSocketChannel) : Handle() {
        override fun close(): Unit = channel.close()
        override fun toString(): String = "UnixListener(${channel.localAddress})"
    }

    /** A connected Unix-domain stream socket. */
    public class UnixConnection(public val channel: SocketChannel) : Handle() {
        /** The peer's bound address, if it has one. */
        public val remoteAddress: SocketAddress? get() = channel.remoteAddress
        override fun close(): Unit = channel.close()
        override fun toString(): String = "UnixConnection(${channel.localAddress})"
    }

    /**
     * A bound UDP socket: every process holding it receives from the same queue (each datagram once,
     * by whoever reads first) and sends from the same address. Its blocking mode, like any socket's,
     * belongs to the socket: the JDK's channels in blocking mode also work on a non-blocking socket.
     */
    public class Datagram(public val channel: DatagramChannel) : Handle() {
        override fun close(): Unit = channel.close()
        override fun toString(): String = "Datagram(${runCatching { channel.localAddress }.getOrNull()})"
    }

    /** Any other file descriptor (a pipe, a file, a socket of another kind). */
    public class RawFd(public val fd: FileDescriptor) : Handle() {
        override fun close(): Unit = FileDescriptors.close(fd)
        override fun toString(): String = "RawFd(valid=${fd.valid()})"
    }
}
