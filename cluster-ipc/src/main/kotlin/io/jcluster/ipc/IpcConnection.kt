package io.jcluster.ipc

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ipc.internal.FrameReader
import io.jcluster.ipc.internal.FrameWriter
import io.jcluster.ipc.internal.HandleWire
import io.jcluster.ipc.internal.InboundFrame
import io.jcluster.ipc.internal.OutboundFrame
import io.jcluster.ipc.internal.WireFormat
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.channels.BufferOverflow
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import org.newsclub.net.unix.AFUNIXSocketChannel
import java.io.Closeable
import java.nio.channels.ClosedChannelException
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicLong

private val log = KotlinLogging.logger {}

/**
 * One end of a connected Unix stream socket between two processes: two [Lane]s of typed messages,
 * file-descriptor [Handle]s, and calls with replies. Create one with [Ipc.connect] or [IpcServer.accept].
 *
 * A reader thread and a writer thread own the socket; senders only queue. The connection closes when
 * either side closes it, when the peer breaks the protocol ([closeCause] says how), or on [close].
 */
public class IpcConnection internal constructor(
    private val socket: AFUNIXSocketChannel,
    public val options: IpcOptions,
) : Closeable {
    /** The peer's pid, uid and gid, from the kernel. */
    public val peer: PeerCredentials = socket.peerCredentials.let { PeerCredentials(it.pid, it.uid, it.gid) }

    init {
        socket.configureBlocking(false) // the reader and writer threads wait on selectors; senders never block
    }

    internal val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val lanes = Lane.entries.associateWith {
        Channel<InboundFrame>(options.receiveQueueCapacity) { frame -> frame.closeHandles() }
    }
    private val openedLanes = ConcurrentHashMap<Lane, MessageChannel<*>>()
    private val pendingCalls = ConcurrentHashMap<Long, CompletableDeferred<InboundFrame>>()
    private val nextCorrelation = AtomicLong()
    private val closing = AtomicBoolean(false)
    private val closed = CompletableDeferred<IpcException?>()
    private val _errors = MutableSharedFlow<IpcException>(extraBufferCapacity = 64, onBufferOverflow = BufferOverflow.DROP_OLDEST)
    private val writer = FrameWriter(socket, "jcluster-ipc-writer[${options.name}]", options.sendQueueCapacity, ::fail)
    private val reader = FrameReader(socket, options.maxFrameSize, ::dispatch)
    private val readerThread = Thread(::readUntilClosed, "jcluster-ipc-reader[${options.name}]").apply { isDaemon = true }

    /** Problems that did not close the connection (undecodable messages, late replies). */
    public val errors: SharedFlow<IpcException> = _errors.asSharedFlow()

    /** Whether the connection is still open. */
    public val isOpen: Boolean get() = !closed.isCompleted

    /** Why the connection closed: null while open or after an orderly close. */
    public val closeCause: IpcException? get() = cause

    @Volatile private var cause: IpcException? = null
    @Volatile private var writeFailure: IpcException? = null

    internal fun start(): IpcConnection = apply {
        writer.start()
        readerThread.start()
    }

    /** The typed channel for [lane]; each lane is opened once, with the codec both sides agree on. */
    public fun <M : Any> open(lane: Lane, codec: MessageCodec<M>): MessageChannel<M> {
        val channel = MessageChannel(this, lane, codec, lanes.getValue(lane))
        check(openedLanes.putIfAbsent(lane, channel) == null) { "the $lane lane of this connection is already open" }
        return channel
    }

    /** Waits until the connection has closed; returns why, or null for an orderly close. */
    public suspend fun awaitClosed(): IpcException? = closed.await()

    /**
     * Closes gracefully: every frame already sent or queued is still written, for as long as the peer
     * keeps reading (a peer that reads nothing for five seconds is given up on, and the frames left
     * are logged as lost), then the socket closes. Pending calls fail with [IpcClosedException].
     */
    override fun close() {
        writer.finish()
        if (Thread.currentThread() != readerThread && !writer.awaitDrained(DRAIN_STALL_MILLIS)) {
            log.warn { "${options.name}: ${describePeer()} read nothing for $DRAIN_STALL_MILLIS ms; closing with ${writer.unsent} frame(s) unsent" }
        }
        shutDown(null)
    }

    internal suspend fun sendFrame(kind: Int, flags: Int, correlation: Long, handles: List<Handle>, payload: ByteArray) {
        if (!isOpen) throw IpcClosedException("cannot send on the closed connection to ${describePeer()}", closeCause)
        if (handles.isEmpty()) return writer.send(OutboundFrame(WireFormat.encode(kind, flags, correlation, 0, EMPTY, payload)))
        val (descriptors, fds) = HandleWire.describe(handles)
        writer.send(OutboundFrame(WireFormat.encode(kind, flags, correlation, handles.size, descriptors, payload), fds))
    }

    /** [sendFrame] without suspending and without descriptors (see [FrameWriter.post]). */
    internal fun postFrame(kind: Int, payload: ByteArray) {
        if (!isOpen) throw IpcClosedException("cannot send on the closed connection to ${describePeer()}", closeCause)
        writer.post(OutboundFrame(WireFormat.encode(kind, 0, 0, 0, EMPTY, payload)))
    }

    internal suspend fun call(kind: Int, handles: List<Handle>, payload: ByteArray, timeoutMillis: Long, what: String): InboundFrame {
        val id = nextCorrelation.incrementAndGet()
        val reply = CompletableDeferred<InboundFrame>()
        pendingCalls[id] = reply
        try {
            sendFrame(kind, WireFormat.FLAG_CALL, id, handles, payload)
            val frame = withTimeoutOrNull(timeoutMillis) { reply.await() }
                ?: throw IpcTimeoutException("no reply to $what from ${describePeer()} within $timeoutMillis ms")
            if (frame.kind == WireFormat.KIND_ERROR_REPLY) throw RemoteCallException("${describePeer()} failed $what: ${frame.payload.decodeToString()}")
            return frame
        } finally {
            pendingCalls.remove(id)
        }
    }

    internal suspend fun sendReply(correlation: Long, payload: ByteArray, handle: Handle?) =
        sendFrame(WireFormat.KIND_REPLY, 0, correlation, listOfNotNull(handle), payload)

    internal suspend fun sendErrorReply(correlation: Long, text: String) =
        sendFrame(WireFormat.KIND_ERROR_REPLY, 0, correlation, emptyList(), text.encodeToByteArray())

    internal suspend fun reportUndecodable(frame: InboundFrame, error: UndecodableMessageException) {
        log.warn { "${options.name}: ${error.message}; message dropped" }
        _errors.tryEmit(error)
        if (frame.isCall && isOpen) runCatching { sendErrorReply(frame.correlation, error.message ?: "undecodable message") }
    }

    /** Runs on the reader thread: routes one frame to its lane or to the call that waits for it. */
    private fun dispatch(frame: InboundFrame) {
        when (frame.kind) {
            WireFormat.KIND_REPLY, WireFormat.KIND_ERROR_REPLY -> deliverReply(frame)
            WireFormat.KIND_CONTROL -> enqueue(lanes.getValue(Lane.CONTROL), frame)
            else -> enqueue(lanes.getValue(Lane.USER), frame)
        }
    }

    private fun deliverReply(frame: InboundFrame) {
        val waiting = pendingCalls.remove(frame.correlation)
        if (waiting == null || !waiting.complete(frame)) {
            frame.closeHandles()
            log.debug { "${options.name}: reply ${frame.correlation} came after its call gave up; dropped" }
        }
    }

    private fun enqueue(lane: Channel<InboundFrame>, frame: InboundFrame) {
        if (lane.trySend(frame).isSuccess) return
        // The lane is full: block this reader thread, so the socket fills and the peer's sends suspend.
        runCatching { runBlocking { lane.send(frame) } }.onFailure { frame.closeHandles() }
    }

    private fun readUntilClosed() {
        val cause = try {
            reader.run()
            null
        } catch (e: IpcException) {
            log.warn { "${options.name}: closing the connection to ${describePeer()}: ${e.message}" }
            e
        } catch (e: ClosedChannelException) {
            null // closed on this side
        } catch (e: Exception) {
            IpcClosedException("connection to ${describePeer()} failed: $e", e)
        }
        writer.finish(cause)
        writer.join(FLUSH_MILLIS)
        shutDown(cause ?: writeFailure)
    }

    /**
     * A write failed, most often because the peer hung up. What it sent before it went may still wait
     * to be read, and only the reader can say whether that was a broken frame: so reading stops at
     * what has already arrived, and the reader closes the connection with its verdict, or with this
     * failure if it has none. Bounded: a reader held up by a full lane does not keep it open.
     */
    private fun fail(cause: Throwable) {
        if (!closing.get()) log.debug { "${options.name}: write failed: $cause" }
        val failure = cause as? IpcException ?: IpcClosedException("writing to ${describePeer()} failed: $cause", cause)
        writeFailure = failure
        runCatching { socket.shutdownInput() }
        if (Thread.currentThread() === readerThread || !readerThread.isAlive) return shutDown(failure)
        Thread({ readerThread.join(FLUSH_MILLIS); shutDown(failure) }, "jcluster-ipc-failed[${options.name}]").apply { isDaemon = true }.start()
    }

    private fun shutDown(cause: IpcException?) {
        if (!closing.compareAndSet(false, true)) return
        runCatching { socket.close() }
        // Frames already read stay deliverable to open lanes; nobody will read the others, so free their handles.
        lanes.forEach { (lane, queue) ->
            if (!openedLanes.containsKey(lane)) queue.cancel() else if (cause == null) queue.close() else queue.close(cause)
        }
        val failure = IpcClosedException("the connection to ${describePeer()} closed before the reply came", cause)
        pendingCalls.values.forEach { it.completeExceptionally(failure) }
        this.cause = cause
        closed.complete(cause)
        scope.cancel()
    }

    private fun describePeer(): String = "${options.name} (pid ${peer.pid})"

    private companion object {
        val EMPTY = ByteArray(0)
        const val FLUSH_MILLIS = 1_000L

        /** How long [close] waits for a peer that takes no bytes at all before it gives up on what is queued. */
        const val DRAIN_STALL_MILLIS = 5_000L
    }
}
