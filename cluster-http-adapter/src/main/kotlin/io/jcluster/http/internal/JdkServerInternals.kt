package io.jcluster.http.internal

import com.sun.net.httpserver.HttpServer
import java.lang.reflect.AccessibleObject
import java.lang.reflect.Field
import java.nio.channels.SelectionKey
import java.nio.channels.Selector
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel

/**
 * The one place that reaches into the JDK's `HttpServer` (`sun.net.httpserver.ServerImpl`, the same
 * names on JDK 17 and 25), which has no public way to serve on a socket it did not bind, nor to take
 * a connection accepted elsewhere, nor to close idle connections now.
 *
 * - [dropListener] closes the server's own (unbound) listening socket before it starts: it takes
 *   every connection through [inject], from the [io.jcluster.ipc.ListenerAcceptor] or from the primary.
 * - [inject] does with a handed connection what the server's dispatcher does with one it accepts
 *   (`ServerImpl.Dispatcher.run`): a `HttpConnection` marked newly accepted, in the connection sets,
 *   registered for reading on the dispatcher's selector, which it then wakes; with `TCP_NODELAY` on,
 *   whatever `sun.net.httpserver.nodelay` says. The JDK's own idle timer
 *   also works on these sets from another thread, so they are synchronized sets; the key is registered
 *   with its attachment and only then given interest, so the dispatcher never sees a bare key.
 * - [closeIdle] is the JDK's own idle-timeout task (`ServerImpl.IdleTimeoutTask`) with a shorter interval.
 */
internal class JdkServerInternals(http: HttpServer) {
    private val impl: Any = serverField.get(http)
    private val selector get() = implField("selector").get(impl) as Selector
    private val all = connectionSet("allConnections")
    private val idle = connectionSet("idleConnections")
    private val newlyAccepted = connectionSet("newlyAcceptedConnections")

    /** Connections open now. */
    val openConnections: Int get() = all.size

    /** Leaves the (not yet started) server without a listening socket: it serves injected connections only. */
    fun dropListener() {
        (implField("listenerKey").get(impl) as SelectionKey).cancel()
        (implField("schan").get(impl) as ServerSocketChannel).close()
        implField("bound").setBoolean(impl, true)
    }

    /** Serves [channel], a connection accepted elsewhere, as if the server had accepted it. */
    fun inject(channel: SocketChannel) {
        channel.configureBlocking(false)
        // Always, not only with -Dsun.net.httpserver.nodelay=true: the server writes headers and body
        // apart, and with Nagle on each keep-alive response waits out the client's delayed ACK (40 ms).
        channel.socket().tcpNoDelay = true
        val connection = connectionCtor.newInstance()
        setChannel.invoke(connection, channel)
        markNewlyAccepted.invoke(impl, connection)
        all.add(connection)
        val key = channel.register(selector, 0, connection)
        selectionKey.set(connection, key)
        key.interestOps(SelectionKey.OP_READ)
        selector.wakeup()
    }

    /** Closes the connections that have been idle (or silent since accepted) for [graceMillis] or more. */
    fun closeIdle(graceMillis: Long) {
        val now = System.currentTimeMillis()
        for (set in listOf(idle, newlyAccepted)) {
            val candidates = synchronized(set) { set.filter { now - idleStartTime.getLong(it) >= graceMillis } }
            // Whoever removes a connection from its set owns what happens next: the dispatcher (a request
            // came in) or this (it stays idle), exactly as between the dispatcher and the JDK's idle timer.
            for (connection in candidates) if (set.remove(connection)) {
                all.remove(connection)
                close.invoke(connection)
            }
        }
    }

    @Suppress("UNCHECKED_CAST")
    private fun connectionSet(name: String) = implField(name).get(impl) as MutableSet<Any>

    private fun implField(name: String): Field = opened(implClass.getDeclaredField(name))

    companion object {
        /** The flag this needs; [ipc's list][io.jcluster.ipc.Ipc.jvmFlags] has it, so workers get it. */
        const val REQUIRED_FLAG = "--add-opens=jdk.httpserver/sun.net.httpserver=ALL-UNNAMED"

        private val implClass by lazy { Class.forName("sun.net.httpserver.ServerImpl") }
        private val connectionClass by lazy { Class.forName("sun.net.httpserver.HttpConnection") }
        private val serverField by lazy { opened(Class.forName("sun.net.httpserver.HttpServerImpl").getDeclaredField("server")) }
        private val markNewlyAccepted by lazy { opened(implClass.getDeclaredMethod("markNewlyAccepted", connectionClass)) }
        private val connectionCtor by lazy { opened(connectionClass.getDeclaredConstructor()) }
        private val setChannel by lazy { opened(connectionClass.getDeclaredMethod("setChannel", SocketChannel::class.java)) }
        private val close by lazy { opened(connectionClass.getDeclaredMethod("close")) }
        private val selectionKey by lazy { opened(connectionClass.getDeclaredField("selectionKey")) }
        private val idleStartTime by lazy { opened(connectionClass.getDeclaredField("idleStartTime")) }

        private fun <T : AccessibleObject> opened(member: T): T {
            check(member.trySetAccessible()) {
                "serving the JDK's HttpServer on a cluster listener needs the JVM flag `$REQUIRED_FLAG` " +
                    "(the primary adds it for its workers; add it to the primary's own command line)"
            }
            return member
        }
    }
}
