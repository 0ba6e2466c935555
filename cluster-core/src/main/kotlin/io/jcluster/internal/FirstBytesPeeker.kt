package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.StickyKey
import io.jcluster.ipc.SocketPeek
import java.io.IOException
import java.nio.ByteBuffer
import java.nio.channels.SelectionKey
import java.nio.channels.Selector
import java.nio.channels.SocketChannel
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration

private val log = KotlinLogging.logger {}

/**
 * Waits, on one thread and one selector for all connections, for the first bytes of each connection,
 * and asks [key] for the key in them. The bytes are peeked (`MSG_PEEK`), not read: they stay in the
 * socket for the worker's server, so no server adapter needs to be told of them (Jetty, Netty and the
 * JDK's server take a bare socket, and none could be handed bytes read before it). Each connection is
 * waited for at most [timeout], and looked at up to [peekBytes]: a client that sends nothing holds
 * nothing but its own connection, and only that long. While it waits a connection is non-blocking; it
 * is blocking again (as accepted) before it is handed on: the mode belongs to the socket, which the
 * worker shares.
 */
internal class FirstBytesPeeker(private val key: StickyKey, private val peekBytes: Int, private val timeout: Duration, name: String) : AutoCloseable {
    private class Waiting(val connection: SocketChannel, val done: (String?) -> Unit, val deadline: Long) {
        var selectionKey: SelectionKey? = null
        var retryAt = 0L // while the bytes so far hold no key: when to look again (a peeked socket stays readable)
    }

    private val selector = Selector.open()
    private val incoming = ConcurrentLinkedQueue<Waiting>()
    private val waiting = ArrayList<Waiting>() // the thread's own
    private val buffer = ByteBuffer.allocateDirect(peekBytes)
    private val inFlight = AtomicInteger()
    @Volatile private var open = true
    private val thread = Thread(::run, "jcluster-peek-$name").apply { isDaemon = true; start() }

    /** Connections submitted and not yet done. */
    val pending: Int get() = inFlight.get()

    /** Calls [done], on this peeker's thread, with [connection]'s key: null or [StickyKey.NO_KEY] if it has none. */
    fun submit(connection: SocketChannel, done: (String?) -> Unit) {
        inFlight.incrementAndGet()
        incoming += Waiting(connection, done, System.nanoTime() + timeout.inWholeNanoseconds)
        selector.wakeup()
    }

    override fun close() {
        open = false
        selector.wakeup()
        thread.join(CLOSE_WAIT_MILLIS)
    }

    private fun run() {
        try {
            while (open) step()
        } catch (e: Exception) {
            if (open) log.error(e) { "the sticky-session peeker stopped; connections go by IP address" }
        } finally {
            (waiting + generateSequence { incoming.poll() }).forEach { runCatching { it.connection.close() } }
            runCatching { selector.close() }
        }
    }

    private fun step() {
        generateSequence { incoming.poll() }.forEach(::register)
        selector.select(nextWakeMillis())
        val finished = LinkedHashMap<Waiting, String?>()
        selector.selectedKeys().onEach { look(it.attachment() as Waiting, finished) }.clear()
        val now = System.nanoTime()
        for (w in waiting) {
            if (w in finished) continue
            if (now >= w.deadline) finished[w] = null else if (w.retryAt in 1..now) look(w, finished)
        }
        if (finished.isNotEmpty()) finish(finished)
    }

    private fun register(w: Waiting) {
        try {
            w.connection.configureBlocking(false)
            w.selectionKey = w.connection.register(selector, SelectionKey.OP_READ, w)
            waiting += w
        } catch (e: IOException) {
            inFlight.decrementAndGet()
            w.done(null) // closed meanwhile: routing hands it on, and its worker sees it closed
        }
    }

    /** Peeks at [w]'s first bytes; done if they hold a key, are all we look at, or will not grow. */
    private fun look(w: Waiting, finished: MutableMap<Waiting, String?>) {
        buffer.clear()
        val count = try { SocketPeek.peek(w.connection, buffer) } catch (e: IOException) { -1 }
        if (count < 0) return run { finished[w] = null }
        val bytes = ByteArray(buffer.flip().remaining()).also { buffer.get(it) }
        val found = if (count == 0) null else runCatching { key.keyOf(bytes) }.getOrElse { log.debug { "sticky key failed: $it" }; StickyKey.NO_KEY }
        if (found != null || count >= peekBytes) return run { finished[w] = found ?: StickyKey.NO_KEY }
        w.selectionKey?.interestOps(if (count == 0) SelectionKey.OP_READ else 0)
        w.retryAt = if (count == 0) 0 else System.nanoTime() + RETRY_NANOS
    }

    /** Deregisters the finished connections, makes them blocking again, and hands them on. */
    private fun finish(finished: Map<Waiting, String?>) {
        finished.keys.forEach { it.selectionKey?.cancel() }
        selector.selectNow() // a cancelled key lets go of its channel only at the next selection
        for ((w, found) in finished) {
            waiting.remove(w)
            runCatching { w.connection.configureBlocking(true) }
            inFlight.decrementAndGet()
            w.done(found)
        }
    }

    private fun nextWakeMillis(): Long {
        if (waiting.isEmpty()) return 0 // until a connection comes (wakeup)
        val now = System.nanoTime()
        val next = waiting.minOf { if (it.retryAt > 0) minOf(it.retryAt, it.deadline) else it.deadline }
        return TimeUnit.NANOSECONDS.toMillis(next - now).coerceAtLeast(1)
    }

    private companion object {
        const val CLOSE_WAIT_MILLIS = 1_000L
        val RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(2)
    }
}
