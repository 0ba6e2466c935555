package io.jcluster.java.internal

import kotlinx.coroutines.launch
import java.util.Collections
import java.util.WeakHashMap
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.atomic.AtomicInteger

/**
 * Runs one peer's operations (sends, then its disconnect) one after another, in the order they were
 * submitted. The Kotlin API keeps order because each `send` is awaited before the next; a Java caller
 * gets a future back at once and does not wait, so starting each call as a job of its own let a later
 * message overtake an earlier one, and a disconnect overtake both. One queue per peer keeps the wire's
 * order without blocking the caller.
 *
 * At most one coroutine drains a queue, and only while it holds something: an idle outbox is a queue
 * and a counter, so one per worker costs nothing once the worker is gone.
 */
internal class Outbox {
    private class Pending(val operation: suspend () -> Unit, val future: CompletableFuture<Void?>)

    private val queue = ConcurrentLinkedQueue<Pending>()
    private val queued = AtomicInteger()

    /** Queues [operation] behind the ones submitted before it; the future completes when it has run. */
    fun submit(operation: suspend () -> Unit): CompletableFuture<Void?> {
        val pending = Pending(operation, CompletableFuture())
        queue.add(pending)
        if (queued.getAndIncrement() == 0) facade.launch { drain() }
        return pending.future
    }

    private suspend fun drain() {
        do {
            val next = queue.poll()
            // A future cancelled while it waited is skipped; one that throws fails its own future only.
            if (!next.future.isDone) runCatching { next.operation() }.fold({ next.future.complete(null) }, { next.future.completeExceptionally(it) })
        } while (queued.decrementAndGet() > 0)
    }

    companion object {
        private val outboxes = Collections.synchronizedMap(WeakHashMap<Any, Outbox>())

        /** The outbox of [peer] (a worker, or this process's own channel), made on first use; compared by identity. */
        fun of(peer: Any): Outbox = outboxes.computeIfAbsent(peer) { Outbox() }
    }
}
