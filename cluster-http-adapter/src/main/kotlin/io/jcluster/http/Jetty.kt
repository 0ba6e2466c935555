package io.jcluster.http

import io.jcluster.ClusterListener
import io.jcluster.ListenOptions
import io.jcluster.WorkerApp
import io.jcluster.http.internal.JettyServer
import io.jcluster.http.internal.serveWith
import org.eclipse.jetty.server.Handler
import java.net.SocketAddress
import java.time.Duration

/**
 * Jetty 12 (`org.eclipse.jetty:jetty-server`, which an application using this adapter declares
 * itself: this module has it as an optional dependency), serving a Jetty [Handler].
 *
 * The server has a `ServerConnector` of its own kind that never opens a socket: connections reach
 * its selector manager through `SelectorManager.accept(channel)`, whether the primary handed them over
 * (round-robin) or the adapter accepted them on the listening socket. Jetty's `ServerConnector`
 * is not given the listening socket (`openAcceptChannel()`), because `ServerConnector.open(channel)`
 * makes the socket blocking while the connector starts: under the shared strategy that flag belongs
 * to every worker holding the socket, and their non-blocking accepts would block.
 *
 * Stopping uses Jetty's graceful stop (see [RunningHttpServer]), with [RunningHttpServer.IDLE_GRACE]
 * as the connector's shutdown idle timeout.
 */
public object Jetty : HttpAdapter<Handler> {
    /** The app of a `cluster(app) { … }` serving [handler] (see [HttpAdapter.app]); `Jetty.app(handler)` from Java too. */
    @JvmStatic
    public fun app(handler: Handler): WorkerApp = appOf(this, handler)

    /**
     * Serves [handler] on [port] of [host] (null: every local address), as [serve] does in a cluster,
     * blocking until the server listens: for Java (`Jetty.start(8080, handler)`).
     */
    @JvmStatic
    @JvmOverloads
    public fun start(port: Int, host: String? = null, handler: Handler): RunningHttpServer =
        start(socketAddress(port, host), ListenOptions(), RunningHttpServer.defaultStopTimeout(), handler)

    /** [start] on [address] with [options], stopping within [stopTimeout] when the worker disconnects. */
    @JvmStatic
    public fun start(address: SocketAddress, options: ListenOptions, stopTimeout: Duration, handler: Handler): RunningHttpServer =
        startBlocking(address, options, stopTimeout, handler)

    /** [serve] on [listener], as a static method: for Java. */
    @JvmStatic
    public fun start(listener: ClusterListener, handler: Handler): RunningHttpServer = serve(listener, handler)

    override fun serve(listener: ClusterListener, handler: Handler): RunningHttpServer =
        listener.serveWith { listening -> JettyServer(listener.address, listening, handler) }
}
