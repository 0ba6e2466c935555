package io.jcluster.ipc.internal

import io.jcluster.ipc.IpcClosedException
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.runBlocking
import org.newsclub.net.unix.AFUNIXSocketChannel
import java.nio.ByteBuffer

/**
 * Owns the write side of the socket on a thread of its own: takes frames from a bounded queue (a full
 * queue suspends senders: back-pressure), packs whatever is queued into one write, and sends each
 * frame that carries descriptors in a write of its own.
 */
internal class FrameWriter(
    private val socket: AFUNIXSocketChannel,
    name: String,
    queueCapacity: Int,
    private val onFailure: (Throwable) -> Unit,
) {
    private val queue = Channel<OutboundFrame>(queueCapacity) { undelivered ->
        undelivered.written?.completeExceptionally(IpcClosedException("channel closed before the frame was sent"))
    }
    private val batch: ByteBuffer = ByteBuffer.allocateDirect(BATCH_SIZE)
    private val thread = Thread({ runBlocking { drain() } }, name).apply { isDaemon = true }

    fun start() = thread.start()

    /** Queues [frame]; suspends while the queue is full. Throws [IpcClosedException] once closed. */
    suspend fun enqueue(frame: OutboundFrame) {
        try {
            queue.send(frame)
        } catch (e: Exception) {
            throw IpcClosedException("cannot send: the channel is closed", e.cause ?: e)
        }
    }

    /** Stops taking frames; those already queued are still written. */
    fun finish(cause: Throwable? = null) {
        queue.close(cause)
    }

    /** Waits until the queue is drained and the thread has ended. */
    fun join(millis: Long) = thread.join(millis)

    private suspend fun drain() {
        try {
            for (first in queue) {
                write(first)
                while (true) write(queue.tryReceive().getOrNull() ?: break)
                flush()
            }
        } catch (e: Throwable) {
            queue.cancel(kotlinx.coroutines.CancellationException("writer failed", e))
            onFailure(e)
        }
    }

    private fun write(frame: OutboundFrame) {
        if (frame.fds != null) {
            flush()
            writeWithDescriptors(frame.bytes, frame.fds)
        } else if (frame.bytes.size > batch.remaining()) {
            flush()
            if (frame.bytes.size > batch.capacity()) writeFully(frame.bytes) else batch.put(frame.bytes)
        } else {
            batch.put(frame.bytes)
        }
        frame.written?.complete(Unit)
    }

    /** The descriptors ride on the first write only: a retry after a partial write must not repeat them. */
    private fun writeWithDescriptors(bytes: ByteArray, fds: Array<java.io.FileDescriptor>) {
        val buffer = ByteBuffer.wrap(bytes)
        socket.setOutboundFileDescriptors(*fds)
        try {
            socket.write(buffer)
        } finally {
            socket.setOutboundFileDescriptors()
        }
        while (buffer.hasRemaining()) socket.write(buffer)
    }

    private fun writeFully(bytes: ByteArray) {
        val buffer = ByteBuffer.wrap(bytes)
        while (buffer.hasRemaining()) socket.write(buffer)
    }

    private fun flush() {
        batch.flip()
        while (batch.hasRemaining()) socket.write(batch)
        batch.clear()
    }

    private companion object {
        const val BATCH_SIZE = 64 * 1024
    }
}
