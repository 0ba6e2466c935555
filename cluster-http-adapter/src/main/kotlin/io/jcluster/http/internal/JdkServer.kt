package io.jcluster.http.internal

import com.sun.net.httpserver.Filter
import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpHandler
import com.sun.net.httpserver.HttpServer
import io.jcluster.http.RunningHttpServer
import java.io.IOException
import java.net.SocketAddress
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.util.concurrent.Executor
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicInteger

/** The JDK's `HttpServer` as an [AdoptingServer]; see [io.jcluster.http.JdkHttp]. */
internal class JdkServer(
    address: SocketAddress,
    listening: ServerSocketChannel?,
    handler: HttpHandler,
    executor: Executor?,
) : AdoptingServer(address) {
    private val http = HttpServer.create()
    private val internals = JdkServerInternals(http)
    private val ownExecutor: ExecutorService? = if (executor == null) handlerThreads() else null
    private val acceptor = listening?.let { httpAcceptor(it, ::take) }

    init {
        try {
            internals.dropListener()
            http.createContext("/", handler).filters += Tracking()
            http.executor = executor ?: ownExecutor
            http.start()
            acceptor?.let { Thread({ while (it.acceptSome()) Unit }, "jcluster-http-accept").apply { isDaemon = true }.start() }
        } catch (e: Exception) {
            release()
            throw e
        }
    }

    override val openConnections: Int get() = internals.openConnections

    override fun adoptConnection(connection: SocketChannel) = internals.inject(connection)

    override fun stopAccepting() {
        acceptor?.close()
    }

    override fun drain(deadline: Long) {
        val grace = RunningHttpServer.IDLE_GRACE.inWholeMilliseconds
        // The server has no event for "a connection closed": look, as its own stop() does (every 200 ms on JDK 17).
        while (System.nanoTime() < deadline) {
            internals.closeIdle(grace)
            if (internals.openConnections == 0) return
            Thread.sleep(POLL_MILLIS.coerceAtMost(millisUntil(deadline)))
        }
    }

    override fun release() {
        acceptor?.close() // in case the stop failed before
        http.stop(0) // closes whatever connection is left
        ownExecutor?.shutdown()
    }

    /**
     * Counts requests, hands the handler an exchange that says `Connection: close` once the server
     * stops, and answers a handler's failure as [HandlerFailure] says.
     */
    private inner class Tracking : Filter() {
        override fun doFilter(exchange: HttpExchange, chain: Chain) {
            requestTaken()
            try {
                chain.doFilter(ClosingExchange(exchange) { isStopping })
            } catch (failure: Throwable) {
                answer(exchange, failure)
            }
        }

        /** The server closes the connection on an `IOException` from here, which a begun response needs. */
        private fun answer(exchange: HttpExchange, failure: Throwable) {
            val begun = exchange.responseCode != -1
            HandlerFailure.log(failure, begun)
            if (begun) throw failure as? IOException ?: IOException("the handler threw after its response began", failure)
            exchange.responseHeaders.set("Connection", "close")
            exchange.sendResponseHeaders(HandlerFailure.STATUS, -1)
            exchange.close()
        }

        override fun description() = "jcluster: counts requests, closes connections while stopping"
    }

    private companion object {
        const val POLL_MILLIS = 20L
        val threadIds = AtomicInteger()

        /** The default: a thread per request in flight, reused; the server's own default would run every handler on its one dispatcher thread. */
        fun handlerThreads(): ExecutorService = Executors.newCachedThreadPool { task ->
            Thread(task, "jcluster-http-${threadIds.incrementAndGet()}").apply { isDaemon = true }
        }
    }
}
