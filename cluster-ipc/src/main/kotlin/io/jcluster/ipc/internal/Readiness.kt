package io.jcluster.ipc.internal

import java.nio.channels.SelectableChannel
import java.nio.channels.Selector

/**
 * Waits until a non-blocking channel can be read or written. Each waiting thread has its own
 * selector, so the reader and the writer never wake each other.
 */
internal class Readiness(channel: SelectableChannel, operation: Int) : AutoCloseable {
    private val selector: Selector = channel.provider().openSelector()

    init {
        channel.register(selector, operation)
    }

    /** Returns when the channel is ready or after a while; callers loop, re-checking whether to go on. */
    fun await() {
        selector.select(POLL_MILLIS)
        selector.selectedKeys().clear()
    }

    override fun close() = selector.close()

    private companion object {
        // Bounds how late a waiting thread notices that its channel was closed under it.
        const val POLL_MILLIS = 200L
    }
}
