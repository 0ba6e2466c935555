package io.jcluster.ipc.internal

import java.io.FileDescriptor
import java.io.IOException
import java.lang.reflect.AccessibleObject
import java.lang.reflect.InvocationTargetException
import java.net.ProtocolFamily
import java.net.StandardProtocolFamily
import java.net.SocketAddress
import java.nio.channels.Channel
import java.nio.channels.DatagramChannel
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
    private val datagramImpl by lazy { Class.forName("sun.nio.ch.DatagramChannelImpl") }
    private val datagramFamily by lazy { opened(datagramImpl.getDeclaredField("family")) }
    private val datagramCtor by lazy { opened(datagramImpl.getDeclaredConstructor(SelectorProvider::class.java, FileDescriptor::class.java)) }
    private val getFd by lazy { opened(Class.forName("sun.nio.ch.SelChImpl").getMethod("getFD")) }
    private val fdVal by lazy { opened(Class.forName("sun.nio.ch.IOUtil").getMethod("fdVal", FileDescriptor::class.java)) }
    private val getIntOption by lazy {
        opened(Class.forName("sun.nio.ch.Net").getDeclaredMethod(
            "getIntOption0", FileDescriptor::class.java, java.lang.Boolean.TYPE, Integer.TYPE, Integer.TYPE))
    }
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
        is DatagramChannel -> datagramFamily.get(jdkChannel(channel))
        else -> socketFamily.get(jdkChannel(channel))
    } as ProtocolFamily

    /** A bound, listening JDK server channel that takes ownership of [fd]. */
    fun adoptServer(fd: FileDescriptor, family: ProtocolFamily): ServerSocketChannel =
        serverCtor.newInstance(SelectorProvider.provider(), family, fd, true) as ServerSocketChannel

    /** A bound, listening JDK server channel for an inherited [fd] whose family is not known: see [domainOf]. */
    fun adoptInherited(fd: FileDescriptor): ServerSocketChannel = adoptServer(fd, domainOf(fd))

    /**
     * The family [fd]'s socket was created with, as the kernel says (`getsockopt(SO_DOMAIN)`, Linux).
     * Not from its address: `sun.nio.ch.Net.localAddress` reads any `getsockname` answer as an IP
     * address, a Unix socket's path included (`/tmp/…` became 109.112.47.106:12148).
     *
     * @throws IOException if [fd] is not a socket, or not of a family the JDK's channels have.
     */
    private fun domainOf(fd: FileDescriptor): ProtocolFamily {
        val domain = try {
            getIntOption.invoke(null, fd, false, SOL_SOCKET, SO_DOMAIN) as Int
        } catch (e: InvocationTargetException) {
            throw e.targetException
        }
        return when (domain) {
            AF_UNIX -> StandardProtocolFamily.UNIX
            AF_INET -> StandardProtocolFamily.INET
            AF_INET6 -> StandardProtocolFamily.INET6
            else -> throw IOException("fd ${numberOf(fd)} is a socket of address family $domain, which JDK channels do not have")
        }
    }

    /**
     * A bound JDK datagram channel that takes ownership of [fd]. The JDK takes it for an INET6 socket
     * where IPv6 is available, as `DatagramChannel.open()` makes them: send only sockets made that way.
     */
    fun adoptDatagram(fd: FileDescriptor): DatagramChannel = datagramCtor.newInstance(SelectorProvider.provider(), fd) as DatagramChannel

    /** A connected JDK socket channel that takes ownership of [fd]. */
    fun adoptSocket(fd: FileDescriptor, family: ProtocolFamily, remote: SocketAddress?): SocketChannel =
        socketCtor.newInstance(SelectorProvider.provider(), family, fd, remote) as SocketChannel

    // Linux's numbers (x86, arm): <sys/socket.h>, <asm-generic/socket.h>.
    private const val SOL_SOCKET = 1
    private const val SO_DOMAIN = 39
    private const val AF_UNIX = 1
    private const val AF_INET = 2
    private const val AF_INET6 = 10

    /** Null if the JDK's socket internals are open to this code; otherwise the message that says which flag to add. */
    fun missingFlag(): String? = try {
        getFd
        null
    } catch (e: IllegalStateException) {
        e.message
    }

    private fun jdkChannel(channel: Channel): Channel {
        require(serverImpl.isInstance(channel) || socketImpl.isInstance(channel) || datagramImpl.isInstance(channel)) {
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
