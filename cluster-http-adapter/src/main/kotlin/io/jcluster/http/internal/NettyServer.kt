package io.jcluster.http.internal

import io.jcluster.ipc.ListenerAcceptor
import io.jcluster.ipc.Ipc
import io.netty.bootstrap.ServerBootstrap
import io.netty.channel.Channel
import io.netty.channel.ChannelFactory
import io.netty.channel.ChannelHandler
import io.netty.channel.ChannelInitializer
import io.netty.channel.MultiThreadIoEventLoopGroup
import io.netty.channel.epoll.Epoll
import io.netty.channel.epoll.EpollIoHandler
import io.netty.channel.epoll.EpollServerSocketChannel
import io.netty.channel.epoll.EpollSocketChannel
import io.netty.channel.group.DefaultChannelGroup
import io.netty.channel.unix.FileDescriptor
import io.netty.handler.codec.http.HttpServerCodec
import io.netty.handler.codec.http.HttpServerKeepAliveHandler
import io.netty.util.concurrent.GlobalEventExecutor
import java.net.SocketAddress
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.util.concurrent.TimeUnit

/**
 * Netty's epoll transport as an [AdoptingServer]; see [io.jcluster.http.Netty].
 *
 * Netty wraps a bare descriptor number and closes it itself, so it gets duplicates
 * ([Ipc.duplicateFd]): of the listening socket (the listener keeps and closes its own), and of each
 * handed connection (whose JDK channel is closed at once, which leaves the socket open through
 * Netty's descriptor). No JDK channel object ever shares a descriptor with Netty.
 */
internal class NettyServer(address: SocketAddress, listening: ServerSocketChannel?, private val handler: ChannelHandler) : AdoptingServer(address) {
    private val workers = MultiThreadIoEventLoopGroup(eventLoops, EpollIoHandler.newFactory())
    private val connections = DefaultChannelGroup("jcluster-netty", GlobalEventExecutor.INSTANCE)
    private val pipeline = object : ChannelInitializer<Channel>() {
        override fun initChannel(channel: Channel) {
            connections.add(channel)
            val tracker = NettyConnectionTracker(this@NettyServer)
            channel.pipeline().addLast(HttpServerCodec(), HttpServerKeepAliveHandler(), tracker, handler)
            // Last, after what the handler's own ChannelInitializer added (it ran in addLast): failures flow towards the tail.
            channel.pipeline().addLast(tracker.failures)
        }
    }
    private val serverChannel: Channel?

    // Netty accepts on its own descriptor; this second one only keeps the socket open at the stop
    // while it takes what the kernel queued on it (see stopAccepting).
    private val lastAccepts: ListenerAcceptor?

    init {
        var acceptor: ListenerAcceptor? = null
        serverChannel = try {
            acceptor = listening?.let { httpAcceptor(it, ::take) }
            listening?.let(::register)
        } catch (e: Exception) {
            acceptor?.close()
            release()
            throw e
        }
        lastAccepts = acceptor
    }

    override val openConnections: Int get() = connections.size

    override fun adoptConnection(connection: SocketChannel) {
        val fd = Ipc.duplicateFd(connection)
        connection.close() // the socket stays open: Netty's descriptor still refers to it
        val channel = try {
            EpollSocketChannel(fd)
        } catch (e: Exception) {
            FileDescriptor(fd).close()
            throw e
        }
        channel.pipeline().addLast(pipeline)
        connections.add(channel) // now, not when it is registered: a stop under way must wait for it
        workers.register(channel).addListener { if (!it.isSuccess) channel.close() }
    }

    /**
     * Closing Netty's descriptor alone would leave connections queued on the socket to whoever holds
     * it; under reuse-port that is nobody once the listener was given back, and the kernel resets them
     * (`tcp_migrate_req=0`). So [lastAccepts] takes them, as the other adapters' acceptors do, and
     * only then closes the last descriptor.
     */
    override fun stopAccepting() {
        serverChannel?.close()?.syncUninterruptibly()
        lastAccepts?.close()
    }

    override fun drain(deadline: Long) {
        connections.forEach { it.pipeline().fireUserEventTriggered(NettyConnectionTracker.Stopping) }
        while (connections.isNotEmpty()) {
            val left = millisUntil(deadline)
            if (left == 0L) return
            connections.newCloseFuture().await(left)
        }
    }

    override fun release() {
        lastAccepts?.close() // in case the stop failed before
        connections.close().awaitUninterruptibly(CLOSE_WAIT_MILLIS)
        serverChannel?.close()
        workers.shutdownGracefully(0, CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS).awaitUninterruptibly(CLOSE_WAIT_MILLIS)
    }

    /** Netty's server channel on a duplicate of the listening socket: registered, not bound (it is bound already). */
    private fun register(listening: ServerSocketChannel): Channel {
        listening.configureBlocking(false) // the socket's flag, for every process holding it: keep it non-blocking everywhere
        val fd = Ipc.duplicateFd(listening)
        return ServerBootstrap().group(workers)
            .channelFactory(ChannelFactory { EpollServerSocketChannel(fd) })
            .childHandler(pipeline)
            .register().syncUninterruptibly().channel()
    }

    companion object {
        private const val CLOSE_WAIT_MILLIS = 1_000L

        private val eventLoops: Int get() = Integer.getInteger("io.netty.eventLoopThreads") ?: Runtime.getRuntime().availableProcessors()

        /** Fails with what is missing if Netty's epoll transport cannot run here. */
        fun checkEpoll() {
            if (!Epoll.isAvailable()) {
                throw IllegalStateException(
                    "the Netty adapter needs Linux and io.netty:netty-transport-native-epoll (classifier linux-x86_64 or " +
                        "linux-aarch_64) on the classpath: ${Epoll.unavailabilityCause().message}",
                    Epoll.unavailabilityCause(),
                )
            }
        }
    }
}
