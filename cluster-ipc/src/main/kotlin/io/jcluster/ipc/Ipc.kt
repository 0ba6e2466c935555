package io.jcluster.ipc

import io.jcluster.ipc.internal.FileDescriptors
import io.jcluster.ipc.internal.JdkChannels
import org.newsclub.net.unix.AFUNIXSocketAddress
import org.newsclub.net.unix.AFUNIXSocketChannel
import org.newsclub.net.unix.AFUNIXSocketPair
import java.net.StandardProtocolFamily
import java.nio.channels.SocketChannel
import org.newsclub.net.unix.FileDescriptorCast
import java.nio.channels.NetworkChannel
import java.nio.channels.ServerSocketChannel
import java.nio.file.Path

/** Entry points of the IPC layer. */
public object Ipc {
    /**
     * The options every JVM at either end of a connection needs: received sockets become JDK channels
     * (`sun.nio.ch` opened), and junixsocket's native code runs without warnings on JDK 22+. The last
     * lets the JDK's `HttpServer` serve on a socket it did not bind (cluster-http-adapter's `JdkHttp`).
     */
    @JvmStatic
    public val jvmFlags: List<String> = listOf(
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--enable-native-access=ALL-UNNAMED",
        "--add-opens=jdk.httpserver/sun.net.httpserver=ALL-UNNAMED",
    )

    /**
     * Null when this JVM may pass sockets (as [jvmFlags] open `sun.nio.ch`); otherwise what is missing,
     * in one line a user can act on. A primary checks it before it starts any worker.
     */
    @JvmStatic
    public fun missingJvmFlag(): String? = JdkChannels.missingFlag()

    /**
     * Connects to the [IpcServer] at [path]. Throws `java.net.SocketException` (with the path) if no
     * server listens there.
     */
    @JvmStatic
    @JvmOverloads
    public fun connect(path: Path, options: IpcOptions = IpcOptions()): IpcConnection {
        val socket = AFUNIXSocketChannel.open()
        try {
            socket.connect(AFUNIXSocketAddress.of(path))
        } catch (e: java.net.SocketException) {
            socket.close()
            throw java.net.SocketException("cannot connect to the IPC socket $path: ${e.message}").apply { initCause(e) }
        }
        return IpcConnection(socket, options).start()
    }

    /**
     * A second JDK channel on the listening socket of [channel], over a duplicate of its descriptor
     * (`dup`): for a server that closes the channel it serves on (Jetty, the JDK's `HttpServer`) while
     * the caller keeps, and closes, its own. The socket stays open until both are closed; they share
     * the blocking mode. [channel] must be a JDK channel (one from `ServerSocketChannel.open()` or a
     * received [Handle]).
     */
    @JvmStatic
    public fun duplicate(channel: ServerSocketChannel): ServerSocketChannel =
        JdkChannels.adoptServer(FileDescriptors.duplicate(JdkChannels.fdOf(channel)), JdkChannels.familyOf(channel))

    /**
     * A JDK channel on the listening socket with descriptor number [fd], which this process inherited
     * (systemd's socket activation passes them from 3 up): TCP over IPv4 or IPv6, or a Unix-domain
     * socket. The channel owns the descriptor from now on.
     *
     * @throws java.io.IOException if [fd] is not an open socket.
     */
    @JvmStatic
    public fun adoptInheritedListener(fd: Int): ServerSocketChannel = JdkChannels.adoptInherited(FileDescriptorCast.unsafeUsing(fd).fileDescriptor)

    /**
     * A duplicate of the descriptor of [channel] (a JDK socket channel), as a bare number that the
     * caller owns and must close: for servers that wrap a descriptor number and close it themselves,
     * like Netty's epoll transport. No Java object refers to the number, so nothing else closes it.
     */
    @JvmStatic
    public fun duplicateFd(channel: NetworkChannel): Int = JdkChannels.numberOf(FileDescriptors.duplicate(JdkChannels.fdOf(channel)))

    /**
     * Two connected Unix-domain stream sockets (`socketpair`), as blocking JDK channels: what one writes
     * the other reads, both ways, and neither has a name in the file system. One end can travel to
     * another process as a [Handle.UnixConnection]. The caller owns and closes both.
     */
    @JvmStatic
    public fun socketPair(): Pair<SocketChannel, SocketChannel> {
        val pair = AFUNIXSocketPair.open()
        // Not pair.close(): junixsocket shuts a socket down as it closes it, which ends every duplicate too.
        val (one, two) = listOf(pair.socket1.fileDescriptor, pair.socket2.fileDescriptor).map { FileDescriptors.takeOwnership(it) }
        val first = JdkChannels.adoptSocket(one, StandardProtocolFamily.UNIX, null)
        val second = runCatching { JdkChannels.adoptSocket(two, StandardProtocolFamily.UNIX, null) }.getOrElse { first.close(); throw it }
        return first to second
    }
}
