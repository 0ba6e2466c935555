package io.jcluster.ipc

import io.jcluster.ipc.internal.FrameReader
import org.newsclub.net.unix.AFUNIXSocketChannel
import org.newsclub.net.unix.AFUNIXServerSocketChannel
import org.newsclub.net.unix.AFUNIXSocketAddress
import java.io.RandomAccessFile
import java.nio.ByteBuffer
import java.nio.file.Files
import java.util.concurrent.Callable
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.TimeoutException

/** What the frame decoder made of one [FuzzInput]: the frames it decoded, the error it stopped with, its buffer's size. */
class DecoderOutcome(val frames: Int, val error: Throwable?, val bufferCapacity: Int)

/** Two connected ends of a Unix socket: [raw] for the spec to write on, [end] for the code under test. */
class SocketEnds(val raw: AFUNIXSocketChannel, val end: AFUNIXSocketChannel) : AutoCloseable {
    override fun close() {
        raw.close()
        end.close()
    }
}

/**
 * Runs the frame decoder ([FrameReader]) alone over a real socket: one thread writes a [FuzzInput]
 * on the raw end (descriptors of `/dev/null` riding where it says), another runs the decoder on the
 * other end until it stops, which must happen within [DECODE_SECONDS].
 *
 * The ends come from a listening socket, as in production: junixsocket 2.11.1's `AFUNIXSocketPair.open()`
 * leaks two descriptors per pair (it opens two sockets, then puts a socketpair's descriptors in their place).
 */
class DecoderHarness : AutoCloseable {
    private val threads = Executors.newCachedThreadPool { Thread(it, "fuzz-harness").apply { isDaemon = true } }
    private val devNull = RandomAccessFile("/dev/null", "r")
    private val dir = Files.createTempDirectory("jcluster-fuzz")
    private val address = AFUNIXSocketAddress.of(dir.resolve("fuzz.sock"))
    private val server = AFUNIXServerSocketChannel.open().apply { bind(address) }

    /** A fresh connection: the spec writes on `raw`; `end` is left blocking for whoever takes it. */
    fun connect(): SocketEnds {
        val raw = AFUNIXSocketChannel.open(address)
        return SocketEnds(raw, server.accept())
    }

    fun run(input: FuzzInput, maxFrameSize: Int = FuzzInputs.MAX_FRAME): DecoderOutcome {
        val ends = connect()
        val end = ends.end.apply { configureBlocking(false) }
        var frames = 0
        val reader = FrameReader(end, maxFrameSize) { frame -> frames++; frame.closeHandles() }
        val writing = threads.submit { runCatching { write(ends.raw, input) } } // the reader may hang up first: EPIPE
        try {
            val reading = threads.submit(Callable { runCatching { reader.run() }.exceptionOrNull() })
            val error = try {
                reading.get(DECODE_SECONDS, TimeUnit.SECONDS)
            } catch (e: TimeoutException) {
                throw AssertionError("the decoder did not stop within $DECODE_SECONDS s on $input")
            }
            return DecoderOutcome(frames, error, reader.bufferCapacity)
        } finally {
            ends.close()
            writing.get(DECODE_SECONDS, TimeUnit.SECONDS)
        }
    }

    /** Writes [input] on [raw] (blocking), each write with its descriptors, then hangs up unless told not to. */
    fun write(raw: AFUNIXSocketChannel, input: FuzzInput) {
        for (write in input.writes) {
            val buffer = ByteBuffer.wrap(write.bytes)
            if (write.fds > 0) {
                raw.setOutboundFileDescriptors(*Array(write.fds) { devNull.fd })
                try {
                    raw.write(buffer)
                } finally {
                    raw.setOutboundFileDescriptors()
                }
            }
            while (buffer.hasRemaining()) raw.write(buffer)
        }
        if (!input.holdOpen) endStream(raw)
    }

    /**
     * Ends the stream the way a peer that hangs up does, without a reset: what the decoder wrote back
     * (an answer to a call, say) is read before the close. Closing a Unix socket with unread data makes
     * the other side's next read fail with "connection reset", which would hide the decoder's own error.
     */
    private fun endStream(raw: AFUNIXSocketChannel) {
        runCatching {
            raw.shutdownOutput()
            val sink = ByteBuffer.allocate(4096)
            while (raw.read(sink.clear()) >= 0) Unit
        }
        raw.close()
    }

    override fun close() {
        threads.shutdownNow()
        devNull.close()
        server.close()
        dir.toFile().deleteRecursively()
    }

    companion object {
        const val DECODE_SECONDS = 5L

        /** The decoder's first buffer (`FrameReader.INITIAL_BUFFER`): it may start there whatever arrives. */
        const val INITIAL_BUFFER = 64 * 1024
    }
}
