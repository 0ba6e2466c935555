package io.jcluster.http

import io.jcluster.ClusterListener
import io.jcluster.ListenOptions
import io.jcluster.WorkerApp
import io.jcluster.http.internal.NettyServer
import io.jcluster.http.internal.serveWith
import io.netty.channel.ChannelHandler
import java.net.SocketAddress
import java.time.Duration

/**
 * Netty 4.2 on its native epoll transport (Linux; `io.netty:netty-codec-http`,
 * `netty-transport-classes-epoll` and `netty-transport-native-epoll` with the `linux-x86_64`
 * classifier, which an application using this adapter declares itself: they are optional here).
 *
 * The handler is what you would give `ServerBootstrap.childHandler`, typically a
 * `ChannelInitializer` (it must be `@Sharable`: one instance serves every connection). Each
 * connection's pipeline already holds `HttpServerCodec` and `HttpServerKeepAliveHandler` (which
 * honours `Connection: close`), then the adapter's own tracker, then your handler, which sees
 * `HttpRequest` and `HttpContent` messages (add an `HttpObjectAggregator` for whole requests).
 *
 * On a listening socket Netty's `EpollServerSocketChannel` is registered (not bound) on a
 * duplicate of the listener's descriptor; each connection the primary hands over (round-robin)
 * becomes an `EpollSocketChannel` on a duplicate of its descriptor.
 *
 * One group of event loops accepts and serves, one loop per processor the JVM counts (the system
 * property `io.netty.eventLoopThreads` overrides it), without Netty's usual separate accepting
 * thread and its twice-the-processors default: measured with `bench/run http` on two cores, the
 * hand-off from an accepting thread to a serving one and the extra loops cost a worker about a
 * fifth of its throughput. In a cluster each worker counts its share of the processors
 * (`ClusterSettings.processorsPerWorker`), so the workers' loops together match the machine's cores.
 */
public object Netty : HttpAdapter<ChannelHandler> {
    /** The app of a `cluster(app) { … }` serving [handler] (see [HttpAdapter.app]); `Netty.app(handler)` from Java too. */
    @JvmStatic
    public fun app(handler: ChannelHandler): WorkerApp = appOf(this, handler)

    /**
     * Serves [handler] on [port] of [host] (null: every local address), as [serve] does in a cluster,
     * blocking until the server listens: for Java (`Netty.start(8080, handler)`).
     */
    @JvmStatic
    @JvmOverloads
    public fun start(port: Int, host: String? = null, handler: ChannelHandler): RunningHttpServer =
        start(socketAddress(port, host), ListenOptions(), RunningHttpServer.defaultStopTimeout(), handler)

    /** [start] on [address] with [options], stopping within [stopTimeout] when the worker disconnects. */
    @JvmStatic
    public fun start(address: SocketAddress, options: ListenOptions, stopTimeout: Duration, handler: ChannelHandler): RunningHttpServer =
        startBlocking(address, options, stopTimeout, handler)

    /** [serve] on [listener], as a static method: for Java. */
    @JvmStatic
    public fun start(listener: ClusterListener, handler: ChannelHandler): RunningHttpServer = serve(listener, handler)

    override fun serve(listener: ClusterListener, handler: ChannelHandler): RunningHttpServer {
        NettyServer.checkEpoll()
        return listener.serveWith { listening -> NettyServer(listener.address, listening, handler) }
    }
}
