package io.jcluster.http.internal

import io.jcluster.ipc.ListenerAcceptor
import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.http.RunningHttpServer
import org.eclipse.jetty.http.HttpFields
import org.eclipse.jetty.http.HttpHeader
import org.eclipse.jetty.http.HttpHeaderValue
import org.eclipse.jetty.server.Handler
import org.eclipse.jetty.server.HttpConnectionFactory
import org.eclipse.jetty.server.HttpStream
import org.eclipse.jetty.server.Request
import org.eclipse.jetty.server.Response
import org.eclipse.jetty.server.Server
import org.eclipse.jetty.server.ServerConnector
import org.eclipse.jetty.util.Callback
import org.eclipse.jetty.util.thread.QueuedThreadPool
import java.net.SocketAddress
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel

private val log = KotlinLogging.logger {}

/** Jetty as an [AdoptingServer]; see [io.jcluster.http.Jetty]. */
internal class JettyServer(address: SocketAddress, listening: ServerSocketChannel?, handler: Handler) : AdoptingServer(address) {
    private val acceptor = listening?.let { httpAcceptor(it, ::take) }
    private val server = Server(QueuedThreadPool().apply { name = "jcluster-jetty" })
    private val connector = HandedConnector(server, acceptor)

    init {
        connector.shutdownIdleTimeout = RunningHttpServer.IDLE_GRACE.inWholeMilliseconds
        server.addConnector(connector)
        server.handler = Counting(handler)
        try {
            server.start()
        } catch (e: Exception) {
            release()
            throw e
        }
    }

    override val openConnections: Int get() = connector.connectedEndPoints.size

    override fun adoptConnection(connection: SocketChannel) = connector.take(connection)

    override fun stopAccepting() {
        acceptor?.close()
    }

    /**
     * Jetty's own graceful stop: once the connector is shut down it answers `Connection: close` and
     * closes connections idle for its shutdown idle timeout; `stop()` waits until none is left, or
     * the stop timeout, then closes the rest. (No `GracefulHandler`: it answers 503 to requests that
     * arrive during the stop, where a client should simply get its answer.)
     */
    override fun drain(deadline: Long) {
        server.stopTimeout = millisUntil(deadline).coerceAtLeast(1)
        try {
            server.stop()
        } catch (e: Exception) {
            log.info { "Jetty on $address: ${e.message ?: e::class.simpleName} while stopping; the connections left are closed" }
        }
    }

    override fun release() {
        acceptor?.close()
        if (!server.isStopped) runCatching { server.stopTimeout = 0; server.stop() }
    }

    /**
     * Counts each request, and makes every response committed from the moment the stop begins answer
     * `Connection: close`: Jetty does so itself only once its connector is shut down, a little later,
     * and a keep-alive response in between invites a next request on a connection that the stop then
     * closes under it. Decided when the response commits (in [HttpStream.prepareResponse], which every
     * way of committing goes through), not when the handler starts, so that a request already in
     * flight when the stop begins is answered `Connection: close` too. A handler's failure is
     * answered as [HandlerFailure] says.
     */
    private inner class Counting(handler: Handler) : Handler.Wrapper(handler) {
        override fun handle(request: Request, response: Response, callback: Callback): Boolean {
            requestTaken()
            request.addHttpStreamWrapper { stream -> ClosingWhenStopping(stream) }
            return try {
                super.handle(request, response, callback)
            } catch (failure: Throwable) {
                answer(response, callback, failure)
            }
        }

        /** As [HandlerFailure] says; a begun response is left to Jetty, which aborts its connection. */
        private fun answer(response: Response, callback: Callback, failure: Throwable): Boolean {
            HandlerFailure.log(failure, response.isCommitted)
            if (response.isCommitted) throw failure
            response.reset()
            response.status = HandlerFailure.STATUS
            response.headers.put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString())
            response.headers.put(HttpHeader.CONTENT_LENGTH, 0L)
            response.write(true, null, callback)
            return true
        }
    }

    private inner class ClosingWhenStopping(stream: HttpStream) : HttpStream.Wrapper(stream) {
        override fun prepareResponse(headers: HttpFields.Mutable) {
            // The server's flag, spelled out: inside a Jetty component, a bare `isStopping` is the
            // component's own lifecycle state, which turns true only once Jetty stops its handlers.
            if (this@JettyServer.isStopping) headers.ensureField(HttpFields.CONNECTION_CLOSE)
            super.prepareResponse(headers)
        }
    }
}

/**
 * A [ServerConnector] without a listening socket of its own: every connection comes in through
 * [take], which does what the connector does with one it accepts (configure it, hand it to the
 * selector manager). Its one acceptor thread runs the [ListenerAcceptor] when there is a listening socket
 * (as a `ServerConnector` with acceptor threads accepts: one blocking step at a time), and waits
 * until the connector stops when there is none (round-robin).
 */
internal class HandedConnector(server: Server, private val acceptor: ListenerAcceptor?) :
    ServerConnector(server, 1, -1, HttpConnectionFactory()) {

    /** Nothing to bind or open: the listening socket, if any, is the [ListenerAcceptor]'s. */
    override fun open() = Unit

    override fun accept(acceptorID: Int) {
        // The connector stops its acceptor threads by interrupting them, which ends this sleep.
        if (acceptor?.acceptSome() != true) Thread.sleep(Long.MAX_VALUE)
    }

    fun take(connection: SocketChannel) {
        connection.configureBlocking(false)
        configure(connection.socket())
        selectorManager.accept(connection)
    }
}
