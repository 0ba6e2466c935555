package io.jcluster.ipc

import io.jcluster.ipc.internal.InboundFrame
import io.jcluster.ipc.internal.WireFormat
import kotlinx.coroutines.channels.ReceiveChannel
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.future.future
import kotlinx.coroutines.launch
import java.util.concurrent.CompletableFuture
import java.util.function.Consumer

/**
 * One [Lane] of an [IpcConnection], typed by its codec: messages of type [M] both ways, in order.
 *
 * [incoming] is a single stream: collect it once (a second collector would take turns with the first).
 */
public class MessageChannel<M : Any> internal constructor(
    internal val connection: IpcConnection,
    public val lane: Lane,
    private val codec: MessageCodec<M>,
    private val inbound: ReceiveChannel<InboundFrame>,
) {
    private val kind = if (lane == Lane.CONTROL) WireFormat.KIND_CONTROL else WireFormat.KIND_USER

    /**
     * The messages the peer sent on this lane, decoded. A message the codec cannot decode is dropped
     * (its handles closed, an [UndecodableMessageException] reported on [IpcConnection.errors], a call
     * answered with an error). The flow ends when the connection closes; it throws the cause if the
     * peer broke the protocol.
     */
    public val incoming: Flow<Incoming<M>> = flow {
        for (frame in inbound) emit(decode(frame) ?: continue)
    }

    /**
     * The next message, for callers that pull instead of collecting [incoming] (use one or the other).
     * Throws [IpcClosedException] once the connection has closed and every message was taken.
     */
    public suspend fun receive(): Incoming<M> {
        while (true) {
            val result = inbound.receiveCatching()
            val frame = result.getOrNull() ?: result.exceptionOrNull().let { cause ->
                throw cause as? IpcException ?: IpcClosedException("the connection closed; no more messages", cause)
            }
            return decode(frame) ?: continue
        }
    }

    /**
     * Sends [message], with [handle] if given. Messages arrive in the order they were sent. Suspends
     * while the send queue is full; with a handle, returns once its descriptor is in the socket or
     * queued as a duplicate (the caller still owns [handle], and may close it at once). Throws [IpcClosedException] if the connection is closed.
     */
    public suspend fun send(message: M, handle: Handle? = null) {
        connection.sendFrame(kind, 0, 0, listOfNotNull(handle), encode(message))
    }

    /**
     * Sends [message] without suspending, for code that runs on threads of its own (a blocking
     * server's request threads, Java): returns once the message is written or queued, in the order
     * of the calls, [send]'s included. Blocks the calling thread only while the send queue is full,
     * the back-pressure a suspended [send] gets. Throws [IpcClosedException] if the connection is closed.
     */
    public fun post(message: M) {
        connection.postFrame(kind, encode(message))
    }

    /**
     * Sends [message] and waits for the peer's [Incoming.reply]. Throws [IpcTimeoutException] after
     * [timeoutMillis], [RemoteCallException] if the peer answered with an error, and
     * [IpcClosedException] if the connection closes first.
     */
    public suspend fun call(message: M, handle: Handle? = null, timeoutMillis: Long = connection.options.callTimeoutMillis): Incoming<M> {
        val reply = connection.call(kind, listOfNotNull(handle), encode(message), timeoutMillis, describe(message))
        return try {
            Incoming(codec.decode(reply.payload), reply.handles, null, null)
        } catch (e: Exception) {
            reply.closeHandles()
            throw UndecodableMessageException(lane, "reply to ${describe(message)}: ${e.message}", e)
        }
    }

    /** [send] for Java callers. */
    @JvmOverloads
    public fun sendAsync(message: M, handle: Handle? = null): CompletableFuture<Unit> =
        connection.scope.future { send(message, handle) }

    /** [call] for Java callers. */
    @JvmOverloads
    public fun callAsync(message: M, handle: Handle? = null, timeoutMillis: Long = connection.options.callTimeoutMillis): CompletableFuture<Incoming<M>> =
        connection.scope.future { call(message, handle, timeoutMillis) }

    /** For Java callers: collects [incoming] on the connection's scope, calling [listener] for each message. */
    public fun onMessage(listener: Consumer<Incoming<M>>) {
        connection.scope.launch { incoming.collect { listener.accept(it) } }
    }

    internal fun encodeForReply(message: M): ByteArray = encode(message)

    private fun encode(message: M): ByteArray {
        val bytes = codec.encode(message)
        val size = bytes.size.toLong() + WireFormat.HEADER_SIZE
        if (size > connection.options.maxFrameSize) throw FrameTooLargeException(size, connection.options.maxFrameSize)
        return bytes
    }

    private suspend fun decode(frame: InboundFrame): Incoming<M>? =
        try {
            Incoming(codec.decode(frame.payload), frame.handles, frame, this)
        } catch (e: Exception) {
            frame.closeHandles()
            connection.reportUndecodable(frame, UndecodableMessageException(lane, e.message ?: e.javaClass.simpleName, e))
            null
        }

    private fun describe(message: M): String = message::class.simpleName ?: "message"
}
