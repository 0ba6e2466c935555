package io.jcluster.internal

import java.io.InputStream
import java.io.OutputStream
import java.nio.ByteBuffer
import java.nio.channels.SocketChannel
import java.util.Objects

/**
 * Streams over a blocking socket channel. Not `Channels.newInputStream`: on JDK 17 its streams take the
 * channel's blocking lock for a whole read, so a write waits for the read in progress on the other stream.
 */
internal class PipeInput(private val channel: SocketChannel) : InputStream() {
    override fun read(): Int {
        val one = ByteArray(1)
        return if (read(one, 0, 1) < 0) -1 else one[0].toInt() and BYTE
    }

    override fun read(b: ByteArray, off: Int, len: Int): Int {
        Objects.checkFromIndexSize(off, len, b.size)
        if (len == 0) return 0
        return channel.read(ByteBuffer.wrap(b, off, len)) // blocking: at least one byte, or -1 at the end
    }

    /** Stops reading; the other way stays open. */
    override fun close() {
        if (channel.isOpen) channel.shutdownInput()
    }

    private companion object {
        const val BYTE = 0xFF
    }
}

/** See [PipeInput]. Closing sends the end of the stream (`shutdownOutput`); the channel stays open for reading. */
internal class PipeOutput(private val channel: SocketChannel) : OutputStream() {
    override fun write(b: Int) = write(byteArrayOf(b.toByte()), 0, 1)

    override fun write(b: ByteArray, off: Int, len: Int) {
        Objects.checkFromIndexSize(off, len, b.size)
        val buffer = ByteBuffer.wrap(b, off, len)
        while (buffer.hasRemaining()) channel.write(buffer)
    }

    override fun close() {
        if (channel.isOpen) channel.shutdownOutput()
    }
}
