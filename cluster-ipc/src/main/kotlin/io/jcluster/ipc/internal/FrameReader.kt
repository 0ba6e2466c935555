package io.jcluster.ipc.internal

import io.jcluster.ipc.FrameTooLargeException
import io.jcluster.ipc.MalformedFrameException
import io.jcluster.ipc.MissingHandleException
import io.jcluster.ipc.TruncatedFrameException
import io.jcluster.ipc.UnexpectedHandleException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runBlocking
import org.newsclub.net.unix.AFUNIXSocketChannel
import java.io.FileDescriptor
import java.nio.ByteBuffer

/**
 * Reads frames off the (non-blocking) socket in large reads and hands each complete one to [sink].
 *
 * Descriptors arrive with the read that holds the first byte of their `sendmsg` (a frame with
 * descriptors, or a run of such frames: see [WireFormat]). They wait in a queue, tagged with the
 * stream offset where their read ended, until the frames that announce them complete; a frame
 * without handles that starts past that offset proves nobody announced them.
 *
 * A read that holds several frames hands them over inside an unconfined event loop
 * (`runBlocking(Dispatchers.Unconfined)`): a collector on `Dispatchers.Unconfined` (the primary's
 * decoding of user messages, say) that [sink] resumes then runs once all of them are queued, and
 * takes them in one go, instead of being resumed, and suspending again, for each frame on this one
 * thread (this alone took the ipc bench's one-way from 1.35M to 1.53M msg/s). A read of one frame
 * (a call's round trip) is handed over directly.
 *
 * The buffer grows only as bytes actually arrive, so a forged length allocates nothing. Descriptors
 * are bounded too: once complete frames have taken theirs, only the incomplete frames at the end, of
 * one `sendmsg`, can be owed any, so more than [WireFormat.MAX_HANDLES] waiting means a peer is
 * piling them up.
 */
internal class FrameReader(
    private val socket: AFUNIXSocketChannel,
    private val maxFrameSize: Int,
    private val sink: (InboundFrame) -> Unit,
) {
    private class ReceivedFd(val fd: FileDescriptor, val readEnd: Long)

    private var buffer: ByteBuffer = ByteBuffer.allocateDirect(INITIAL_BUFFER)
    private var bufferOffset = 0L // stream offset of buffer index 0
    private val fds = ArrayDeque<ReceivedFd>()

    private val readable = Readiness(socket, java.nio.channels.SelectionKey.OP_READ)

    /** The read buffer's size now: the specs check that only bytes that arrived made it grow. */
    val bufferCapacity: Int get() = buffer.capacity()

    init {
        socket.setAncillaryReceiveBufferSize(ANCILLARY_BUFFER)
    }

    /** Reads until the peer closes (returns normally) or the stream breaks the protocol (throws). */
    fun run() {
        try {
            while (true) {
                if (!buffer.hasRemaining()) grow()
                val count = socket.read(buffer)
                if (count == 0) {
                    readable.await()
                    continue
                }
                if (count < 0) return endOfStream()
                collectDescriptors()
                if (holdsSeveralFrames()) runBlocking(Dispatchers.Unconfined) { parseFrames() } else parseFrames()
            }
        } finally {
            readable.close()
            while (fds.isNotEmpty()) runCatching { FileDescriptors.close(fds.removeFirst().fd) }
        }
    }

    private fun collectDescriptors() {
        val received = socket.receivedFileDescriptors ?: return
        val readEnd = bufferOffset + buffer.position()
        received.forEach { fds.addLast(ReceivedFd(FileDescriptors.takeOwnership(it), readEnd)) }
    }

    private fun parseFrames() {
        val end = buffer.position()
        var start = 0
        while (end - start >= WireFormat.LENGTH_FIELD_SIZE) {
            val total = frameLength(start)
            if (end - start < total) break
            sink(decode(start, total))
            start += total
        }
        buffer.limit(end).position(start)
        buffer.compact()
        bufferOffset += start
        if (fds.size > WireFormat.MAX_HANDLES) throw UnexpectedHandleException(fds.size)
    }

    /** Whether the buffer holds more than the first frame's bytes (complete or not). */
    private fun holdsSeveralFrames(): Boolean {
        val end = buffer.position()
        return end >= WireFormat.LENGTH_FIELD_SIZE && end > (buffer.getInt(0).toLong() and 0xFFFFFFFFL) + WireFormat.LENGTH_FIELD_SIZE
    }

    private fun frameLength(start: Int): Int {
        val total = (buffer.getInt(start).toLong() and 0xFFFFFFFFL) + WireFormat.LENGTH_FIELD_SIZE
        if (total > maxFrameSize) throw FrameTooLargeException(total, maxFrameSize)
        if (total < WireFormat.HEADER_SIZE) throw MalformedFrameException("frame length $total is shorter than the ${WireFormat.HEADER_SIZE}-byte header")
        return total.toInt()
    }

    private fun decode(start: Int, total: Int): InboundFrame {
        val b = buffer
        if (b.get(start + 4) != WireFormat.MAGIC) throw MalformedFrameException("bad magic byte 0x%02x: not a jcluster frame".format(b.get(start + 4)))
        val kind = b.get(start + 5).toInt()
        if (kind !in WireFormat.KIND_CONTROL..WireFormat.KIND_ERROR_REPLY) throw MalformedFrameException("unknown frame kind $kind")
        val handleCount = b.get(start + 6).toInt() and 0xFF
        if (handleCount > WireFormat.MAX_HANDLES) throw MalformedFrameException("handle count $handleCount exceeds ${WireFormat.MAX_HANDLES}")
        val descriptorLength = b.getShort(start + 16).toInt() and 0xFFFF
        if (WireFormat.HEADER_SIZE + descriptorLength > total) throw MalformedFrameException("handle descriptors ($descriptorLength bytes) overrun the frame")
        val handles = takeHandles(handleCount, bufferOffset + start, b.slice(start + WireFormat.HEADER_SIZE, descriptorLength))
        val payloadStart = start + WireFormat.HEADER_SIZE + descriptorLength
        val payload = ByteArray(total - (payloadStart - start))
        b.get(payloadStart, payload)
        return InboundFrame(kind, b.get(start + 7).toInt(), b.getLong(start + 8), handles, payload)
    }

    private fun takeHandles(count: Int, frameStart: Long, descriptors: ByteBuffer): List<io.jcluster.ipc.Handle> {
        if (count == 0) {
            val stray = fds.firstOrNull()
            if (stray != null && stray.readEnd <= frameStart) throw UnexpectedHandleException(fds.size)
            if (descriptors.hasRemaining()) throw MalformedFrameException("handle descriptors without handles")
            return emptyList()
        }
        if (fds.size < count) throw MissingHandleException(count, fds.size)
        return HandleWire.receive(descriptors, List(count) { fds.removeFirst().fd })
    }

    private fun endOfStream() {
        val pending = buffer.position()
        if (pending == 0) {
            if (fds.isNotEmpty()) throw UnexpectedHandleException(fds.size) // sent with the last frame, which announced none
            return
        }
        val expected = if (pending >= WireFormat.LENGTH_FIELD_SIZE) frameLength(0) else WireFormat.LENGTH_FIELD_SIZE
        throw TruncatedFrameException(pending, expected)
    }

    /** Doubles the buffer, never past the largest frame allowed; called only when it is full of a partial frame. */
    private fun grow() {
        val bigger = ByteBuffer.allocateDirect(minOf(buffer.capacity() * 2, maxFrameSize))
        buffer.flip()
        bigger.put(buffer)
        buffer = bigger
    }

    private companion object {
        const val INITIAL_BUFFER = 64 * 1024
        const val ANCILLARY_BUFFER = 1024
    }
}
