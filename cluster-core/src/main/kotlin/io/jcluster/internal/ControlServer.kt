package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ipc.Handle
import io.jcluster.ipc.Incoming
import io.jcluster.ipc.IpcClosedException
import io.jcluster.ipc.IpcConnection
import io.jcluster.ipc.IpcOptions
import io.jcluster.ipc.IpcServer
import io.jcluster.ipc.JsonCodec
import io.jcluster.ipc.Lane
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeoutOrNull
import java.nio.file.Path
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds

private val log = KotlinLogging.logger {}

/**
 * The primary's control socket: accepts worker connections, takes each one's [ControlMessage.Hello],
 * and from then on turns everything the worker sends into inputs of the [PrimaryLoop]. The loop, not
 * this class, decides whether a hello is genuine.
 */
internal class ControlServer(
    path: Path,
    private val loop: PrimaryLoop,
    private val scope: CoroutineScope,
    workerUid: Long = IpcServer.currentUid,
    private val helloTimeout: Duration = HELLO_TIMEOUT,
) : AutoCloseable {
    private val server = IpcServer.bind(path, IpcOptions(name = "worker"), setOf(IpcServer.currentUid, workerUid))
    val path: Path get() = server.path

    init {
        scope.launch { acceptConnections() }
    }

    override fun close() = server.close()

    private suspend fun acceptConnections() {
        while (true) {
            val connection = try {
                server.accept()
            } catch (e: IpcClosedException) {
                return
            }
            scope.launch { serve(connection) }
        }
    }

    private suspend fun serve(connection: IpcConnection) {
        val control = connection.open(Lane.CONTROL, JsonCodec(ControlMessage.serializer()))
        val user = connection.open(Lane.USER, PayloadCodec)
        val hello = withTimeoutOrNull(helloTimeout) { runCatching { control.receive().message }.getOrNull() }
        if (hello !is ControlMessage.Hello) {
            log.warn { "pid ${connection.peer.pid} connected to the control socket without saying hello; closed" }
            return connection.close()
        }
        val id = hello.workerId
        val link = IpcWorkerLink(connection, control, user)
        loop.enqueue(PrimaryInput.Hello(id, hello.token, connection.peer.pid, link))
        coroutineScope {
            launch {
                runCatching {
                    control.incoming.collect { incoming -> loop.enqueue(input(id, link, incoming)) }
                }
            }
            // Decoded on the connection's reader thread (Unconfined): a thread hand-off less per message.
            launch(Dispatchers.Unconfined) { runCatching { user.incoming.collect { loop.enqueue(PrimaryInput.UserMessage(id, link, it.message, it.handle)) } } }
        }
        // Only now, after everything the worker sent was handed on, does the loop hear the link is down.
        loop.enqueue(PrimaryInput.LinkDown(id, link))
    }

    private fun input(id: Int, link: WorkerLink, incoming: Incoming<ControlMessage>): PrimaryInput = when (val message = incoming.message) {
        is ControlMessage.HandoffsTaken, is ControlMessage.HandoffRefused -> PrimaryInput.HandoffAnswer(id, link, message, incoming.handle)
        else -> PrimaryInput.Control(id, link, message, if (incoming.expectsReply) IncomingReply(incoming) else null)
    }

    private class IncomingReply(private val incoming: Incoming<ControlMessage>) : ControlReply {
        override suspend fun send(message: ControlMessage, handle: Handle?) = incoming.reply(message, handle)

        override suspend fun fail(text: String) = incoming.replyError(text)
    }

    companion object {
        /** How long a connection may stay silent before its hello; a worker connects only once its codec is loaded. */
        val HELLO_TIMEOUT = 10.seconds
    }
}
