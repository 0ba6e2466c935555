package io.jcluster.ipc.internal

import java.io.FileDescriptor
import java.lang.reflect.AccessibleObject
import java.lang.reflect.InvocationTargetException
import java.net.Inet4Address
import java.net.InetSocketAddress
import java.net.ProtocolFamily
import java.net.StandardProtocolFamily
import java.net.SocketAddress
import java.nio.channels.Channel
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.nio.channels.spi.SelectorProvider

/**
 * The one place that reaches into the JDK's own socket channels (`sun.nio.ch`): to read a channel's
 * file descriptor and protocol family, and to wrap a received descriptor in a real JDK channel, which
 * selectors, Jetty and the JDK's HTTP server accept (junixsocket's own channel types they do not).
 * The constructors used here have the same signatures on JDK 17 and 25.
 */
internal object JdkChannels {
    private val requiredFlag = io.jcluster.ipc.Ipc.jvmFlags.first()

    private val serverImpl by lazy { Class.forName("sun.nio.ch.ServerSocketChannelImpl") }
    private val socketImpl by lazy { Class.forName("sun.nio.ch.SocketChannelImpl") }
    private val getFd by lazy { opened(Class.forName("sun.nio.ch.SelChImpl").getMethod("getFD")) }
    private val fdVal by lazy { opened(Class.forName("sun.nio.ch.IOUtil").getMethod("fdVal", FileDescriptor::class.java)) }
    private val localAddress by lazy { opened(Class.forName("sun.nio.ch.Net").getDeclaredMethod("localAddress", FileDescriptor::class.java)) }
    private val serverFamily by lazy { opened(serverImpl.getDeclaredField("family")) }
    private val socketFamily by lazy { opened(socketImpl.getDeclaredField("family")) }
    private val serverCtor by lazy {
        opened(serverImpl.getDeclaredConstructor(
            SelectorProvider::class.java, ProtocolFamily::class.java, FileDescriptor::class.java, java.lang.Boolean.TYPE))
    }
    private val socketCtor by lazy {
        opened(socketImpl.getDeclaredConstructor(
            SelectorProvider::class.java, ProtocolFamily::class.java, FileDescriptor::class.java, SocketAddress::class.java))
    }

    /** The file descriptor of a JDK socket channel (still owned by the channel). */
    fun fdOf(channel: Channel): FileDescriptor = getFd.invoke(jdkChannel(channel)) as FileDescriptor

    /** The number of [fd], as the operating system knows it. */
    fun numberOf(fd: FileDescriptor): Int = fdVal.invoke(null, fd) as Int

    /** INET, INET6 or UNIX: the family the socket was created with (an IPv4 address may sit on INET6). */
    fun familyOf(channel: Channel): ProtocolFamily = when (channel) {
        is ServerSocketChannel -> serverFamily.get(jdkChannel(channel))
        else -> socketFamily.get(jdkChannel(channel))
    } as ProtocolFamily

    /** A bound, listening JDK server channel that takes ownership of [fd]. */
    fun adoptServer(fd: FileDescriptor, family: ProtocolFamily): ServerSocketChannel =
        serverCtor.newInstance(SelectorProvider.provider(), family, fd, true) as ServerSocketChannel

    /**
     * A bound, listening JDK server channel for an inherited [fd] whose family is not known: the
     * family the socket's own address has (`getsockname` through `sun.nio.ch.Net`; no IP address: Unix).
     */
    fun adoptInherited(fd: FileDescriptor): ServerSocketChannel {
        val address = try {
            localAddress.invoke(null, fd) as InetSocketAddress
        } catch (e: InvocationTargetException) {
            null // not an IP socket
        }
        val family = when (address?.address) {
            null -> StandardProtocolFamily.UNIX
            is Inet4Address -> StandardProtocolFamily.INET
            else -> StandardProtocolFamily.INET6
        }
        return adoptServer(fd, family)
    }

    /** A connected JDK socket channel that takes ownership of [fd]. */
    fun adoptSocket(fd: FileDescriptor, family: ProtocolFamily, remote: SocketAddress?): SocketChannel =
        socketCtor.newInstance(SelectorProvider.provider(), family, fd, remote) as SocketChannel

    private fun jdkChannel(channel: Channel): Channel {
        require(serverImpl.isInstance(channel) || socketImpl.isInstance(channel)) {
            "only the JDK's own socket channels can be sent as handles, not ${channel.javaClass.name}"
        }
        return channel
    }

    private fun <T : AccessibleObject> opened(member: T): T {
        check(member.trySetAccessible()) {
            "passing sockets between JVMs needs the JVM flag `$requiredFlag` (the primary adds it for its workers; add it to the primary's own command line)"
        }
        return member
    }
}
