package io.jcluster.ipc

import java.io.IOException
import java.nio.channels.SelectionKey
import java.nio.channels.Selector
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel

/**
 * Accepts on a listening [channel] and hands each connection to [take]; one thread at a time calls
 * [acceptSome], and [close] may come from any thread. Used by the primary's round-robin listener and
 * by the HTTP adapters' servers in a worker; it is public for those modules, not for apps.
 *
 * Why a selector rather than a blocking `accept`:
 * - [close] takes what the kernel has already queued and then closes the socket at once, on one
 *   thread, back to back. Closing a listening socket resets every connection still in its backlog,
 *   and a blocked `accept` cannot be told "take what is there, then stop"; closing the channel under
 *   it leaves the backlog to the kernel's reset.
 * - The socket stays non-blocking. Its blocking flag belongs to every process holding it (shared
 *   strategy), and Jetty's `ServerConnector.open(channel)` makes it blocking while it starts, which
 *   would leave other workers' selector threads stuck in `accept()`; a worker's server therefore
 *   gives the acceptor a descriptor of its own ([Ipc.duplicate]).
 * - Closing a channel registered with someone else's selector is deferred to that selector's next
 *   select; until then, under reuse-port, the kernel keeps queueing connections on it. This selector
 *   is the acceptor's own, and [close] closes it first.
 *
 * A failed accept (out of descriptors, say) leaves the connection queued, so the next select would
 * return at once: the acceptor stops selecting for a pause that grows from 5 ms to 1 s
 * ([AcceptBackoff]), which [close] cuts short.
 *
 * @param what the listener, for log lines: "round-robin listener 127.0.0.1:8080".
 */
public class ListenerAcceptor(
    private val channel: ServerSocketChannel,
    what: String,
    private val take: (SocketChannel) -> Unit,
) {
    private val selector = Selector.open()
    private val lock = Any()

    private val backoff = AcceptBackoff(what)
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

    /**
     * Waits for connections and hands over every one queued; returns false once the acceptor is
     * closed. After [requestClose], this call is the one that takes what is queued and closes.
     */
    public fun acceptSome(): Boolean = synchronized(lock) {
        if (closing) return finish()
        if (pauseMillis > 0) pause()
        if (closing) return finish()
        selector.select()
        selector.selectedKeys().clear()
        if (closing) return finish()
        acceptQueued()
        return true
    }

    /**
     * Asks the thread in [acceptSome] to take what is queued and close, and returns at once: for a
     * [take] that may block (a full queue), which [close] would then wait for.
     */
    public fun requestClose() {
        closing = true
        selector.wakeup()
    }

    /** Stops accepting: hands over what is queued, then closes the socket at once. Idempotent. */
    public fun close() {
        requestClose()
        synchronized(lock) { finish() }
    }

    /** Takes what is queued and closes, the first time; returns false, for [acceptSome]. Holds [lock]. */
    private fun finish(): Boolean {
        if (!selector.isOpen) return false
        selector.close() // deregisters the channel, so that closing it closes the descriptor now
        try {
            acceptQueued()
        } finally {
            channel.close()
        }
        return false
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
