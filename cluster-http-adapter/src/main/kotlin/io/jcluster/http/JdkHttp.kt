package io.jcluster.http

import com.sun.net.httpserver.HttpHandler
import io.jcluster.ClusterListener
import io.jcluster.ListenOptions
import io.jcluster.WorkerApp
import io.jcluster.http.internal.JdkServer
import io.jcluster.http.internal.serveWith
import java.util.concurrent.Executor
import java.net.SocketAddress
import java.time.Duration

/**
 * The JDK's built-in `com.sun.net.httpserver.HttpServer`: no dependency at all. It needs the JVM flag
 * `--add-opens=jdk.httpserver/sun.net.httpserver=ALL-UNNAMED` (workers get it from the primary; it
 * fails with a message naming the flag otherwise), because the server has no public way to take a
 * connection it did not accept itself.
 *
 * How connections get in: each one, whether the primary handed it over (round-robin) or the adapter
 * accepted it on the listening socket (an accept thread over a descriptor of its own; see the
 * internal `Acceptor` for why not the server's own accept), goes into the server's dispatcher the way
 * the server's own accept path puts one there: a `HttpConnection` marked newly accepted, added to the
 * server's connection sets, registered for reading on the dispatcher's selector, which is then woken.
 * Chosen because after `accept()` it is the server's own code path, with its idle timeouts, limits
 * and stop; the fields and methods it touches are the same on JDK 17 and 25 (read in both sources,
 * tested on both). The alternatives: a private loopback listener that each handed connection is
 * relayed to (a copy of every byte, and handlers would see the relay's address), or a
 * `SelectorProvider` of our own (it would replace every channel of the JVM).
 *
 * Every connection gets `TCP_NODELAY`, without the system property `sun.net.httpserver.nodelay` the
 * server alone would need: it writes a response's headers and body apart, and with Nagle's algorithm
 * on, each keep-alive response would wait out the client's delayed ACK (~1.4k requests/s instead of
 * tens of thousands).
 *
 * The handler runs on a thread per request in flight (reused) unless you pass an executor: the
 * server's own default runs every handler on its one dispatcher thread, where a slow request would
 * hold up all the others.
 */
public object JdkHttp : HttpAdapter<HttpHandler> {
    /** The app of a `cluster(app) { … }` serving [handler] (see [HttpAdapter.app]); `JdkHttp.app(handler)` from Java too. */
    @JvmStatic
    public fun app(handler: HttpHandler): WorkerApp = appOf(this, handler)

    /**
     * Serves [handler] on [port] of [host] (null: every local address), as [serve] does in a cluster,
     * blocking until the server listens: for Java (`JdkHttp.start(8080, handler)`).
     */
    @JvmStatic
    @JvmOverloads
    public fun start(port: Int, host: String? = null, handler: HttpHandler): RunningHttpServer =
        start(socketAddress(port, host), ListenOptions(), RunningHttpServer.defaultStopTimeout(), handler)

    /** [start] on [address] with [options], stopping within [stopTimeout] when the worker disconnects. */
    @JvmStatic
    public fun start(address: SocketAddress, options: ListenOptions, stopTimeout: Duration, handler: HttpHandler): RunningHttpServer =
        startBlocking(address, options, stopTimeout, handler)

    /** [serve] on [listener], as a static method: for Java. */
    @JvmStatic
    public fun start(listener: ClusterListener, handler: HttpHandler): RunningHttpServer = serve(listener, handler)

    override fun serve(listener: ClusterListener, handler: HttpHandler): RunningHttpServer = serve(listener, handler, null)

    /** [serve], with the handler running on [executor] (null: a thread per request in flight). */
    @JvmStatic
    public fun serve(listener: ClusterListener, handler: HttpHandler, executor: Executor?): RunningHttpServer =
        listener.serveWith { listening -> JdkServer(listener.address, listening, handler, executor) }
}
