package io.jcluster.http.internal

import io.jcluster.ipc.AcceptBackoff
import io.jcluster.ipc.Ipc
import java.io.IOException
import java.nio.channels.SelectionKey
import java.nio.channels.Selector
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel

/**
 * Accepts on a listening socket for a server built on JDK channels (the JDK's `HttpServer`, Jetty)
 * and hands each connection to [take], the same entry the round-robin hand-offs use. One thread at a
 * time calls [acceptSome]; [close] may come from any thread. Netty, which accepts on a descriptor of
 * its own, uses one only for [close]: to take what is queued when it stops.
 *
 * Why not let the server accept on the socket itself:
 * - The acceptor has a descriptor of its own (a `dup` of the listener's): the listener keeps its
 *   channel, and each closes its own.
 * - The socket stays non-blocking. Its blocking flag belongs to every process holding the socket
 *   (shared strategy), and Jetty's `ServerConnector.open(channel)` makes it blocking while it starts,
 *   which would leave other workers' selector threads stuck in `accept()`.
 * - [close] takes what is already queued and then really closes the descriptor. A channel registered
 *   with a server's selector is closed only at that selector's next select; until then, under
 *   reuse-port, the kernel keeps queueing connections on it, and resets them when it finally closes.
 *
 * A failed accept (out of descriptors, say) leaves the connection queued, so the next select would
 * return at once: the acceptor stops selecting for a pause that grows from 5 ms to 1 s
 * ([AcceptBackoff]), which [close] cuts short.
 */
internal class Acceptor(listening: ServerSocketChannel, private val take: (SocketChannel) -> Unit) {
    private val channel = Ipc.duplicate(listening)
    private val selector = Selector.open()
    private val lock = Any()

    private val backoff = AcceptBackoff("HTTP listener ${runCatching { channel.localAddress }.getOrNull()}")
    private var pauseMillis = 0L // after a failed accept; guarded by lock

    @Volatile private var closing = false

    init {
        try {
            channel.configureBlocking(false)
            channel.register(selector, SelectionKey.OP_ACCEPT)
        } catch (e: IOException) {
            selector.close()
            channel.close()
            throw e
        }
    }

    /** Waits for connections and hands over every one queued; returns false once [close] was called. */
    fun acceptSome(): Boolean = synchronized(lock) {
        if (closing) return false
        if (pauseMillis > 0) pause()
        if (closing) return false
        selector.select()
        selector.selectedKeys().clear()
        if (closing) return false // close() takes what is queued
        acceptQueued()
        return true
    }

    /** Stops accepting: hands over what is queued, then closes this descriptor at once. Idempotent. */
    fun close() {
        closing = true
        selector.wakeup()
        synchronized(lock) {
            if (!selector.isOpen) return
            selector.close() // deregisters the channel, so that closing it closes the descriptor now
            acceptQueued()
            channel.close()
        }
    }

    /** Waits out [pauseMillis] with nothing selected; [close]'s wakeup ends the wait. */
    private fun pause() {
        val key = channel.keyFor(selector)
        key.interestOps(0)
        selector.select(pauseMillis)
        selector.selectedKeys().clear()
        key.interestOps(SelectionKey.OP_ACCEPT)
        pauseMillis = 0
    }

    private fun acceptQueued() {
        while (true) {
            val connection = try {
                channel.accept()?.also { backoff.succeeded() } ?: return
            } catch (e: IOException) {
                pauseMillis = backoff.failed(e)
                return
            }
            take(connection)
        }
    }
}
