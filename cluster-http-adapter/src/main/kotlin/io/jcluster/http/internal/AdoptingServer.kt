package io.jcluster.http.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.Cluster
import io.jcluster.ClusterListener
import io.jcluster.CurrentWorker
import io.jcluster.http.HttpStats
import io.jcluster.http.RunningHttpServer
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runInterruptible
import java.net.SocketAddress
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.util.concurrent.CountDownLatch
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicLong
import kotlin.time.Duration
import kotlin.time.toKotlinDuration

private val log = KotlinLogging.logger {}

/** This process as a worker, or null in a primary or a plain JVM. */
private val worker: CurrentWorker? by lazy { if (Cluster.isWorker) Cluster.worker else null }

/**
 * What every adapter's server shares: the two ways in (a listening socket, or [adopt] for connections
 * accepted elsewhere), the request counter, and the order of a graceful stop:
 * 1. give the listener back to the cluster, so no new connections are sent here;
 * 2. [stopAccepting]: the server stops accepting and closes its own descriptor of the socket;
 * 3. [drain]: requests in flight finish with `Connection: close`, idle connections close;
 * 4. [release]: whatever is left is closed, threads end.
 */
internal abstract class AdoptingServer(final override val address: SocketAddress) : RunningHttpServer {
    private val stopping = AtomicBoolean()
    private val stopped = CountDownLatch(1)
    private val requests = AtomicLong()

    /** The listener to give back on stop; set by [serveWith]. */
    @Volatile var listener: ClusterListener? = null

    /** True from the moment a stop begins: responses then carry `Connection: close`. */
    val isStopping: Boolean get() = stopping.get()

    /**
     * Counts one request; servers call it as each request starts. In a worker it also counts towards
     * `Supervision.maxRequests`, after which the primary replaces the worker gracefully.
     */
    fun requestTaken() {
        requests.incrementAndGet()
        worker?.requestServed()
    }

    protected abstract val openConnections: Int

    final override val stats: HttpStats get() = HttpStats(requests.get(), openConnections)

    /**
     * Serves [connection], accepted by someone else (the primary, under round-robin). Returns false,
     * leaving the connection untouched, once the server is stopping, so that the primary gives it to
     * another worker; otherwise the server owns it.
     */
    fun adopt(connection: SocketChannel): Boolean {
        if (isStopping) return false
        take(connection)
        return true
    }

    /** Serves [connection], handed over or accepted here; if the server cannot, the connection is closed. */
    protected fun take(connection: SocketChannel) {
        try {
            adoptConnection(connection)
        } catch (e: Exception) {
            log.warn(e) { "could not serve the connection from ${runCatching { connection.remoteAddress }.getOrNull()}; closed it" }
            runCatching { connection.close() }
        }
    }

    protected abstract fun adoptConnection(connection: SocketChannel)

    protected abstract fun stopAccepting()

    /** Returns once every connection is closed, or at [deadline] ([System.nanoTime]). */
    protected abstract fun drain(deadline: Long)

    protected abstract fun release()

    final override suspend fun stop(timeout: Duration): Unit = runInterruptible(Dispatchers.IO) { stopBlocking(timeout) }

    final override fun stop(timeout: java.time.Duration): Unit = stopBlocking(timeout.toKotlinDuration())

    final override fun close(): Unit = stopBlocking(RunningHttpServer.DEFAULT_STOP_TIMEOUT)

    private fun stopBlocking(timeout: Duration) {
        if (!stopping.compareAndSet(false, true)) return stopped.await()
        val deadline = System.nanoTime() + timeout.inWholeNanoseconds
        try {
            listener?.close()
            stopAccepting()
            drain(deadline)
        } finally {
            release()
            stopped.countDown()
        }
    }
}

/** Milliseconds left until [deadline] ([System.nanoTime]), at least 0. */
internal fun millisUntil(deadline: Long): Long = ((deadline - System.nanoTime()) / 1_000_000).coerceAtLeast(0)

/**
 * Runs the server [start] makes on this listener, then tells the cluster it listens. [start] gets
 * the listening socket (which it must not close: it takes a descriptor of its own), or null under
 * round-robin, where the connections come through [AdoptingServer.adopt].
 */
internal fun <S : AdoptingServer> ClusterListener.serveWith(start: (ServerSocketChannel?) -> S): S {
    val server = when (this) {
        is ClusterListener.Socket -> start(channel)
        is ClusterListener.Connections -> start(null).also { server -> onConnection(server::adopt) }
    }
    server.listener = this
    try {
        listening()
    } catch (e: Exception) {
        server.close()
        throw e
    }
    worker?.let { ServerLoad.add(it, server) } // only once it serves: a server that failed to start touches no cluster
    return server
}
