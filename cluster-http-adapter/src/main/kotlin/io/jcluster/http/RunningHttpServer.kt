package io.jcluster.http

import kotlinx.coroutines.runBlocking
import java.net.SocketAddress
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds
import kotlin.time.toJavaDuration
import kotlin.time.toKotlinDuration

/**
 * An HTTP server that an [HttpAdapter] runs on a cluster listener, whichever server it is.
 *
 * Stopping is graceful and bounded: the server gives its listener back to the cluster (no new
 * connections reach it), lets the requests in flight finish and answers them, and any request that
 * arrives meanwhile on an open connection, with `Connection: close`; a connection that stays idle for
 * [IDLE_GRACE] (a keep-alive connection between requests, or a new one that has not sent its request
 * yet) is closed. Clients see no error. After the timeout, what is left is closed.
 */
public interface RunningHttpServer : AutoCloseable {
    /** The address the listener is bound to, with the real port (also after `listen(0)`). */
    public val address: SocketAddress

    /** Requests taken since the start and connections open now; read by the stats plugin. */
    public val stats: HttpStats

    /**
     * Stops gracefully, as the class says, within [timeout]; returns once stopped. Idempotent. Hidden
     * from Java (its name would be mangled): Java calls the `java.time.Duration` one.
     */
    @JvmSynthetic
    public suspend fun stop(timeout: Duration = DEFAULT_STOP_TIMEOUT)

    /** [stop] within [timeout], blocking the calling thread: for Java, and code outside coroutines. */
    public fun stop(timeout: java.time.Duration): Unit = runBlocking { stop(timeout.toKotlinDuration()) }

    /** [stop] with [DEFAULT_STOP_TIMEOUT], blocking the calling thread (for `use { }` and Java). */
    override fun close()

    public companion object {
        /** How long [close] and the worker's disconnect hook let requests in flight finish; Java: [defaultStopTimeout]. */
        @get:JvmSynthetic
        public val DEFAULT_STOP_TIMEOUT: Duration = 5.seconds

        /**
         * How long a connection may stay idle while a server stops before it is closed. Not at once:
         * a client reuses a keep-alive connection right after a response, and a request already on its
         * way would meet a closed socket; a second is Jetty's own choice for the same moment. Java: [idleGrace].
         */
        @get:JvmSynthetic
        public val IDLE_GRACE: Duration = 1.seconds

        /** [DEFAULT_STOP_TIMEOUT] for Java. */
        @JvmStatic
        public fun defaultStopTimeout(): java.time.Duration = DEFAULT_STOP_TIMEOUT.toJavaDuration()

        /** [IDLE_GRACE] for Java. */
        @JvmStatic
        public fun idleGrace(): java.time.Duration = IDLE_GRACE.toJavaDuration()
    }
}

/** A snapshot of a server's counters. */
public data class HttpStats(
    /** Requests taken since the server started (each request of a keep-alive connection counts). */
    val requests: Long,
    /** Connections open now. */
    val openConnections: Int,
)
