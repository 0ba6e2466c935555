package io.jcluster

import io.jcluster.internal.PipeInput
import io.jcluster.internal.PipeOutput
import java.io.Closeable
import java.io.InputStream
import java.io.OutputStream
import java.nio.channels.SocketChannel

/**
 * A byte stream between the primary and one worker beside the control channel (Node's extra `stdio`
 * pipes): a connected pair of Unix-domain sockets (`socketpair`), one end in each process, so bytes
 * flow both ways and never through the primary's loop. The primary opens it with `Worker.openPipe`,
 * and the worker takes its end with `Cluster.worker.pipe` under the same [name].
 *
 * Each side owns its end: close it when done. Closing [output] ends the stream the other side reads
 * ([input] then returns -1 there) and leaves this side's [input] open; [close] closes both ways. An end
 * whose process exits is closed by the OS, so the other side reads the end.
 */
public class WorkerPipe internal constructor(
    /** The name the primary opened the pipe with. */
    public val name: String,
    /** This end, a blocking JDK channel (usable with `Channels`, or switched to non-blocking for a selector). */
    public val channel: SocketChannel,
) : Closeable {
    /** What the other side writes; -1 once it closed its [output] or its end. Reads block. */
    public val input: InputStream = PipeInput(channel)

    /** To the other side's [input]; `close()` sends the end of the stream (a half-close). */
    public val output: OutputStream = PipeOutput(channel)

    /** Closes this end, both ways. */
    override fun close(): Unit = channel.close()

    override fun toString(): String = "WorkerPipe($name)"
}
