package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ipc.LogThrottle
import io.jcluster.ipc.Handle
import io.jcluster.ipc.Incoming
import io.jcluster.ipc.IpcClosedException
import io.jcluster.ipc.IpcConnection
import io.jcluster.ipc.IpcOptions
import io.jcluster.ipc.IpcServer
import io.jcluster.ipc.JsonCodec
import io.jcluster.ipc.Lane
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeoutOrNull
import java.nio.file.Path
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds

private val log = KotlinLogging.logger {}

/**
 * The primary's control socket: accepts worker connections, takes each one's [ControlMessage.Hello],
 * and from then on turns everything the worker sends into inputs of the [PrimaryLoop]. Beside it, the
 * FIFO through which a worker's JVM announces itself before its runtime connects ([OnlineFifo]). The
 * loop, not this class, decides whether a hello or an announcement is genuine.
 */
internal class ControlServer(
    path: Path,
    private val loop: PrimaryLoop,
    private val scope: CoroutineScope,
    workerUid: Long = IpcServer.currentUid,
    private val helloTimeout: Duration = HELLO_TIMEOUT,
) : AutoCloseable {
    private val server = IpcServer.bind(path, IpcOptions(name = "worker control"), setOf(IpcServer.currentUid, workerUid))
    private val onlineFifo = OnlineFifo.open(path, loop::enqueue)
    private val handshakes = AtomicInteger() // connections waiting for their hello
    private val refusals = LogThrottle(log)
    private val silences = LogThrottle(log)
    @Volatile private var lost: String? = null
    val path: Path get() = server.path

    /** Why new workers cannot be admitted now (accepting fails, or stopped for good), or null while they can. */
    val admissionProblem: String? get() = lost ?: server.acceptProblem

    init {
        scope.launch { acceptConnections() }
    }

    /** The paths to hand to the workers' user, when they run as another: the socket and the announcements' FIFO. */
    val paths: List<Path> get() = listOfNotNull(server.path, onlineFifo?.path)

    override fun close() {
        server.close()
        onlineFifo?.close()
    }

    /** Accepts until the server closes; failed accepts pause inside [IpcServer.accept]. */
    private suspend fun acceptConnections() {
        try {
            while (true) {
                val connection = try {
                    server.accept()
                } catch (e: IpcClosedException) {
                    return
                }
                admit(connection)
            }
        } catch (e: Throwable) {
            if (e !is CancellationException) lost = "the worker control socket stopped accepting: $e"
            throw e
        }
    }

    /** Serves [connection], or closes it if [MAX_HANDSHAKES] others are still to say hello. */
    private fun admit(connection: IpcConnection) {
        if (handshakes.incrementAndGet() > MAX_HANDSHAKES) {
            handshakes.decrementAndGet()
            refusals.warn { "closed a connection to the worker control socket from pid ${connection.peer.pid}: $MAX_HANDSHAKES connections are still to say hello" }
            return connection.close()
        }
        scope.launch {
            var waiting = true
            val greeted = { if (waiting) handshakes.decrementAndGet().also { waiting = false } }
            try {
                serve(connection, greeted)
            } finally {
                greeted() // if serve failed before the hello
            }
        }
    }

    /** Serves [connection]: its hello (calling [greeted] once it came or will not), then all it sends. */
    private suspend fun serve(connection: IpcConnection, greeted: () -> Unit) {
        val control = connection.open(Lane.CONTROL, JsonCodec(ControlMessage.serializer()))
        val user = connection.open(Lane.USER, PayloadCodec)
        val hello = try {
            withTimeoutOrNull(helloTimeout) { runCatching { control.receive().message }.getOrNull() }
        } finally {
            greeted()
        }
        if (hello !is ControlMessage.Hello) {
            silences.warn { "pid ${connection.peer.pid} connected to the control socket without saying hello; closed" }
            return connection.close()
        }
        val id = hello.workerId
        val link = IpcWorkerLink(connection, control, user)
        loop.enqueue(PrimaryInput.Hello(id, hello.token, connection.peer.pid, link))
        coroutineScope {
            launch {
                runCatching {
                    control.incoming.collect { incoming -> input(id, link, incoming)?.let(loop::enqueue) }
                }
            }
            // Decoded on the connection's reader thread (Unconfined): a thread hand-off less per message.
            launch(Dispatchers.Unconfined) { runCatching { user.incoming.collect { loop.enqueue(PrimaryInput.UserMessage(id, link, it.message, it.handle)) } } }
        }
        // Only now, after everything the worker sent was handed on, does the loop hear the link is down.
        loop.enqueue(PrimaryInput.LinkDown(id, link))
    }

    /** The loop's input for what worker [id] sent; null (logged, answered, its handles closed) for a message only workers receive. */
    private suspend fun input(id: Int, link: WorkerLink, incoming: Incoming<ControlMessage>): PrimaryInput? {
        val message = fromWorker(incoming.message) ?: run {
            log.warn { "worker $id sent ${incoming.message::class.simpleName}, which only the primary sends; ignored" }
            incoming.handles.forEach { it.close() }
            if (incoming.expectsReply) runCatching { incoming.replyError("the primary does not take ${incoming.message::class.simpleName}") }
            return null
        }
        incoming.handles.drop(1).forEach { it.close() } // a worker sends one handle at most
        return PrimaryInput.Control(id, link, message, if (incoming.expectsReply) IncomingReply(incoming) else null, incoming.handle)
    }

    private class IncomingReply(private val incoming: Incoming<ControlMessage>) : CallReply {
        override suspend fun send(message: ControlMessage.ToWorker, handle: Handle?) = incoming.reply(message, handle)

        override suspend fun fail(text: String) = incoming.replyError(text)
    }

    companion object {
        /** [message] as one a worker may send, or null: the one place the primary narrows the lane's type. */
        fun fromWorker(message: ControlMessage): ControlMessage.ToPrimary? = message as? ControlMessage.ToPrimary

        /** How long a connection may stay silent before its hello; a worker connects only once its codec is loaded. */
        val HELLO_TIMEOUT = 5.seconds

        /** Connections that may wait for their hello at once; more are closed, so that a flood costs no more threads. */
        const val MAX_HANDSHAKES = 64
    }
}
