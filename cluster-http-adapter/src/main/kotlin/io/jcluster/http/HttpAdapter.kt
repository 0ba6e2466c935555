@file:JvmName("HttpAdapters")

package io.jcluster.http

import io.jcluster.Cluster
import io.jcluster.ClusterListener
import io.jcluster.ListenOptions
import io.jcluster.WorkerApp
import io.jcluster.http.internal.WorkerServers
import java.net.InetSocketAddress
import kotlinx.coroutines.runBlocking
import java.net.SocketAddress
import kotlin.time.Duration
import kotlin.time.toKotlinDuration

/**
 * Runs one kind of HTTP server on a listener the cluster gives ([ClusterListener]): one singleton per
 * server ([JdkHttp], [Jetty], [Netty]), each taking the handler type natural to its server ([H]).
 *
 * On a [ClusterListener.Socket] the server accepts on the listening socket itself (through a
 * descriptor of its own, so the listener keeps its channel); on [ClusterListener.Connections]
 * (round-robin) it serves the connections the primary hands over. Either way the server behaves the
 * same, and stops as [RunningHttpServer] describes.
 */
public interface HttpAdapter<in H : Any> {
    /**
     * Starts a server with [handler] on [listener], then calls `listener.listening()`. The server
     * gives the listener back (`close()`) when it stops; do not close the listener's channel yourself.
     */
    public fun serve(listener: ClusterListener, handler: H): RunningHttpServer

    /**
     * Serves [handler] on [port] of [host] (null: every local address) the way Node's
     * `server.listen(port)` does in a cluster: `Cluster.listen`, then [serve]. In a worker the port
     * is shared with the other workers, and the server stops gracefully, within [stopTimeout], when
     * the worker disconnects, before the worker exits (all the servers of a worker stop at once). The
     * same line serves alone in the primary. Hidden from Java (its name would be mangled): Java calls
     * each adapter's static `start(…)`, which blocks until the server listens.
     */
    @JvmSynthetic
    public suspend fun serve(
        port: Int,
        host: String? = null,
        options: ListenOptions = ListenOptions(),
        stopTimeout: Duration = RunningHttpServer.DEFAULT_STOP_TIMEOUT,
        handler: H,
    ): RunningHttpServer = serve(socketAddress(port, host), options, stopTimeout, handler)

    /** [serve] on [address]: a TCP address, or a Unix-domain socket path. Java: `start(address, …)`. */
    @JvmSynthetic
    public suspend fun serve(
        address: SocketAddress,
        options: ListenOptions = ListenOptions(),
        stopTimeout: Duration = RunningHttpServer.DEFAULT_STOP_TIMEOUT,
        handler: H,
    ): RunningHttpServer {
        // A warm standby waits in Cluster.listen for its slot: it starts and stops the server once before, privately.
        if (Cluster.isWorker && Cluster.worker.isStandby) WorkerServers.rehearse { serve(Cluster.worker.rehearsalListener(), handler) }
        val listener = Cluster.listen(address, options)
        val server = try {
            serve(listener, handler)
        } catch (e: Exception) {
            listener.close()
            throw e
        }
        if (Cluster.isWorker) WorkerServers.stopOnDisconnect(server, stopTimeout)
        return server
    }
}

/**
 * The app of a `cluster(app) { … }`: each worker serves [handler] with this adapter on every address
 * the configuration `listen`s on, and stops gracefully when it disconnects. Each bundled adapter has
 * it as a static member too (`JdkHttp.app(handler)` from Java); this is for any adapter.
 */
public fun <H : Any> HttpAdapter<H>.app(handler: H): WorkerApp = appOf(this, handler)

/** [HttpAdapter.serve] blocking the calling thread until the server listens: each adapter's static `start` for Java. */
internal fun <H : Any> HttpAdapter<H>.startBlocking(address: SocketAddress, options: ListenOptions, stopTimeout: java.time.Duration, handler: H) =
    runBlocking { serve(address, options, stopTimeout.toKotlinDuration(), handler) }

/** Where `start(port, host, …)` listens: [port] of [host], or of every local address. */
internal fun socketAddress(port: Int, host: String?): InetSocketAddress = if (host == null) InetSocketAddress(port) else InetSocketAddress(host, port)

internal fun <H : Any> appOf(adapter: HttpAdapter<H>, handler: H): WorkerApp = WorkerApp { context ->
    context.addresses.forEach { address -> adapter.serve(address, context.options, handler = handler) }
}
