package io.jcluster.ipc.internal

import io.jcluster.ipc.IpcClosedException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.runBlocking
import org.newsclub.net.unix.AFUNIXSocketChannel
import java.io.FileDescriptor
import java.nio.ByteBuffer
import java.nio.channels.ClosedChannelException
import java.nio.channels.SelectionKey
import java.util.concurrent.atomic.AtomicInteger
import java.util.concurrent.atomic.AtomicReference
import java.util.concurrent.locks.ReentrantLock
import kotlin.concurrent.withLock

/**
 * The write side of a non-blocking socket.
 *
 * When nothing is queued and no burst is under way, a sender writes its frame itself, at once: no thread hand-off, which is what
 * keeps round trips short. Otherwise (or if the socket takes only part of the frame) frames go through
 * a bounded queue to the writer thread, which packs what is queued into large writes and alone waits
 * for the socket to drain. So no sender ever blocks on a slow peer: a full queue suspends it instead,
 * until the writer has written half of it. Not until one frame is out: a sender faster than the peer
 * would then pay a suspension and a wake-up for every frame (a quarter of its CPU, measured).
 *
 * Descriptors: a frame written directly sends the caller's; a queued frame owns duplicates of them
 * ([OutboundFrame.owningCopies]), closed once written or once the frame is dropped, so the caller may
 * close its handle as soon as [send] returns. The writer packs a run of queued frames with descriptors
 * into one `sendmsg` ([WireFormat.MAX_HANDLES] descriptors at most), never with frames that carry none.
 */
internal class FrameWriter(
    private val socket: AFUNIXSocketChannel,
    name: String,
    queueCapacity: Int,
    private val onFailure: (Throwable) -> Unit,
) {
    // Bounded by [capacity] through [pending] and [room], not by the channel: see the class's comment.
    private val queue = Channel<OutboundFrame>(Channel.UNLIMITED) { undelivered -> undelivered.closeDescriptors() }
    private val capacity = queueCapacity
    private val roomAt = queueCapacity / 2 // senders waiting for room go on once no more than this is pending
    private val room = AtomicReference<CompletableDeferred<Unit>?>() // completed once there is room again, for the senders that wait
    private val lock = ReentrantLock()
    private val pending = AtomicInteger() // frames queued or carried, not yet written: senders may write directly only at 0
    @Volatile private var finished = false
    @Volatile private var lastDirectWrite = 0L
    @Volatile private var carry: OutboundFrame? = null // the rest of a directly written frame, written next
    @Volatile private var bytesWritten = 0L
    private val batch: ByteBuffer = ByteBuffer.allocateDirect(BATCH_SIZE)
    private val batchFds = ArrayList<FileDescriptor>(WireFormat.MAX_HANDLES) // owned; non-empty: the batch is a run of frames with descriptors
    private val writable = Readiness(socket, SelectionKey.OP_WRITE)
    private val thread = Thread({ runBlocking { drain() } }, name).apply { isDaemon = true }

    fun start() = thread.start()

    /**
     * Sends [frame] or queues it (its descriptors duplicated: the caller keeps its own); suspends only
     * while the queue is full. Throws [IpcClosedException] once closed.
     */
    suspend fun send(frame: OutboundFrame) {
        if (tryWriteDirectly(frame)) return
        if (pending.get() >= capacity) awaitRoom() // a sender cancelled while it waits is just cancelled
        enqueue(frame.owningCopies())
    }

    /**
     * [send] for callers that do not suspend: writes [frame] or queues it, in the same order as
     * [send] would, and blocks the calling thread only while the queue is full (the peer reads
     * slower than this side writes: the back-pressure a suspended [send] gets).
     */
    fun post(frame: OutboundFrame) {
        if (tryWriteDirectly(frame)) return
        if (pending.get() >= capacity) runBlocking { awaitRoom() } // an interrupted thread gets its exception
        enqueue(frame)
    }

    /** Queues [frame], whose descriptors (if any) it owns; throws [IpcClosedException], its copies closed, once the queue is closed. */
    private fun enqueue(frame: OutboundFrame) {
        pending.incrementAndGet()
        val queued = queue.trySend(frame) // never full: unlimited
        if (queued.isSuccess) return
        written()
        frame.closeDescriptors()
        throw IpcClosedException("cannot send: the connection is closed", queued.exceptionOrNull())
    }

    /** Suspends while the queue is full, until the writer has written half of it; throws [IpcClosedException] once closed. */
    private suspend fun awaitRoom() {
        while (pending.get() >= capacity) {
            if (finished) throw IpcClosedException("cannot send: the connection is closed")
            val signal = room.get() ?: CompletableDeferred<Unit>().takeIf { room.compareAndSet(null, it) } ?: continue
            // Published before this second look: the writer, past roomAt since, has seen it, or this sees the room.
            if (pending.get() >= capacity && !finished) signal.await()
        }
    }

    /** One frame (or wake-up token) is done with: counted off, and waiting senders told once there is room. */
    private fun written() {
        if (pending.decrementAndGet() <= roomAt && room.get() != null) wakeWaitingSenders()
    }

    /** Lets the senders waiting in [awaitRoom] look again: there is room, or the connection is closed. */
    private fun wakeWaitingSenders() {
        room.getAndSet(null)?.complete(Unit)
    }

    /** Writes [frame] at once if nothing is queued and no burst is under way; false if it must be queued. */
    private fun tryWriteDirectly(frame: OutboundFrame): Boolean {
        if (pending.get() != 0 || inBurst() || !lock.tryLock()) return false
        try {
            return pending.get() == 0 && writeDirectly(frame)
        } catch (e: java.io.IOException) {
            if (e is IpcClosedException) throw e
            onFailure(e)
            throw IpcClosedException("sending failed: $e", e)
        } finally {
            lock.unlock()
        }
    }

    /** Stops taking frames; those already queued are still written. */
    fun finish(cause: Throwable? = null) {
        finished = true
        queue.close(cause)
        wakeWaitingSenders()
    }

    /** Waits until the queue is drained and the thread has ended. */
    fun join(millis: Long) = thread.join(millis)

    /**
     * After [finish]: waits until everything queued is written (true), for as long as the peer keeps
     * taking bytes; false once it has taken none for [stallMillis] (the peer is stuck or gone).
     */
    fun awaitDrained(stallMillis: Long): Boolean {
        var seen = bytesWritten
        var lastProgress = System.nanoTime()
        while (thread.isAlive) {
            thread.join(DRAIN_CHECK_MILLIS)
            val now = bytesWritten
            if (now != seen) {
                seen = now
                lastProgress = System.nanoTime()
            } else if (System.nanoTime() - lastProgress > stallMillis * 1_000_000) {
                return !thread.isAlive
            }
        }
        return true
    }

    /** Frames queued or half written, not yet in the socket. */
    val unsent: Int get() = pending.get()

    /**
     * Sends that follow each other closely are a burst: they go through the writer thread, which packs
     * them into large writes (one syscall per message would cap throughput). Sends further apart, like
     * requests waiting for their replies, are written directly.
     */
    private fun inBurst(): Boolean {
        val now = System.nanoTime()
        val previous = lastDirectWrite
        lastDirectWrite = now
        return now - previous < BURST_NANOS
    }

    /**
     * Called with the lock held and nothing pending. False if the connection is closing (the caller
     * then queues, and fails) or if the socket took none of a frame with descriptors (the caller
     * queues it with copies of them).
     */
    private fun writeDirectly(frame: OutboundFrame): Boolean {
        if (finished) return false
        val buffer = ByteBuffer.wrap(frame.bytes)
        if (write(buffer, frame.fds) == 0 && frame.fds != null) return false
        if (!buffer.hasRemaining()) return true
        // The socket took part of the frame (and its descriptors): its rest must go before anything else, by the writer thread.
        carry = OutboundFrame(frame.bytes.copyOfRange(buffer.position(), frame.bytes.size))
        pending.addAndGet(2) // the rest, and the wake-up token (each uncounted when the writer is done with it)
        if (queue.trySend(WAKE_UP).isSuccess) return true
        pending.addAndGet(-2)
        carry = null
        throw IpcClosedException("the connection closed while a frame was half written")
    }

    private suspend fun drain() {
        try {
            for (first in queue) {
                lock.withLock {
                    var current = first // off the queue: if writing fails before it is in the batch, its descriptors are closed here
                    try {
                        carry?.let { writeFully(it) }.also { carry = null }
                        take(current)
                        while (true) take(queue.tryReceive().getOrNull()?.also { current = it } ?: break)
                        flush()
                    } catch (e: Throwable) {
                        current.closeDescriptors()
                        throw e
                    }
                }
            }
        } catch (e: Throwable) {
            finished = true
            releaseBatch()
            queue.cancel(kotlinx.coroutines.CancellationException("writer failed", e))
            wakeWaitingSenders()
            onFailure(e)
        } finally {
            writable.close()
        }
    }

    private fun take(frame: OutboundFrame) {
        if (frame !== WAKE_UP) {
            if (!fitsBatch(frame)) flush()
            if (frame.bytes.size > batch.capacity()) return writeFully(frame)
            batch.put(frame.bytes)
            frame.fds?.let { batchFds.addAll(it) }
        }
        written()
    }

    /**
     * Whether [frame] may join the batch: it has room, and frames with descriptors go only with others
     * like them, so that the kernel attaches the descriptors to a read that holds no frame without any
     * (which is how the reader tells descriptors nobody announced: see [FrameReader]).
     */
    private fun fitsBatch(frame: OutboundFrame): Boolean {
        if (batch.position() == 0) return true
        val fds = frame.fds ?: return batchFds.isEmpty() && frame.bytes.size <= batch.remaining()
        return batchFds.isNotEmpty() && frame.bytes.size <= batch.remaining() && batchFds.size + fds.size <= WireFormat.MAX_HANDLES
    }

    private fun writeFully(frame: OutboundFrame) {
        try {
            val buffer = ByteBuffer.wrap(frame.bytes)
            var fds = frame.fds
            while (buffer.hasRemaining()) {
                if (write(buffer, fds) > 0) fds = null else writable.await()
            }
        } finally {
            frame.closeDescriptors()
        }
        written()
    }

    /** Writes the batch, its descriptors with its first bytes, then closes them: in the socket, the kernel holds its own. */
    private fun flush() {
        batch.flip()
        var fds = batchFds.takeIf { it.isNotEmpty() }?.toTypedArray()
        try {
            while (batch.hasRemaining()) if (write(batch, fds) > 0) fds = null else writable.await()
        } finally {
            releaseBatch()
        }
    }

    private fun releaseBatch() {
        batchFds.forEach { runCatching { FileDescriptors.close(it) } }
        batchFds.clear()
        batch.clear()
    }

    /** One non-blocking write; [fds] ride on it. Returns the bytes written (0: the socket is full). */
    private fun write(buffer: ByteBuffer, fds: Array<FileDescriptor>?): Int {
        if (!socket.isOpen) throw ClosedChannelException()
        if (fds != null) socket.setOutboundFileDescriptors(*fds)
        try {
            return socket.write(buffer).also { bytesWritten += it } // always under the lock: one writer at a time
        } finally {
            if (fds != null) socket.setOutboundFileDescriptors()
        }
    }

    private companion object {
        const val BATCH_SIZE = 64 * 1024
        const val BURST_NANOS = 5_000L
        const val DRAIN_CHECK_MILLIS = 100L
        val WAKE_UP = OutboundFrame(ByteArray(0))
    }
}
