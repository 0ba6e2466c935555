package io.jcluster

import kotlinx.serialization.Serializable
import java.nio.ByteBuffer
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.nio.file.Path
import kotlinx.coroutines.DelicateCoroutinesApi
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.GlobalScope
import kotlinx.coroutines.launch
import kotlin.system.exitProcess

/**
 * Primary → `serve` worker: listen on [port] (or the Unix socket [path]) this way; [refuse]: refuse
 * handed connections; [answerDelayMillis]: hold each connection that long before answering (a busy
 * server, so that under `shared` the kernel wakes the other worker's accept). [name] tells apart
 * commands that are otherwise the same. [sticky]: `ListenOptions.sticky`; [readHead]: read each
 * connection up to an empty line first, and answer `"<worker id> <bytes read>\n"`.
 */
@Serializable
data class ListenCommand(
    val port: Int = 0,
    val name: String = "",
    val path: String? = null,
    val strategy: String? = null,
    val exclusive: Boolean = false,
    val refuse: Boolean = false,
    val answerDelayMillis: Long = 0,
    val sticky: Boolean? = null,
    val readHead: Boolean = false,
)

/** Primary → `serve` or `supervised` worker: disconnect yourself ([CurrentWorker.disconnect]), as an app may. */
@Serializable
data object Leave

/** Primary → `supervised` worker: exit with [code] now. */
@Serializable
data class Crash(val code: Int)

/** Primary → `supervised` worker: hang (every thread of the coroutine pool in an endless loop). */
@Serializable
data object Hang

/** `serve` worker → primary: the listener for [command] listens on [port] ([path]), or [error] says why not. */
@Serializable
data class ListenResult(val workerId: Int, val command: ListenCommand, val port: Int = -1, val error: String? = null)

/** Primary → `serve` worker: close the listener opened for [command]; answered by [Closed]. */
@Serializable
data class CloseCommand(val command: ListenCommand)

@Serializable
data class Closed(val workerId: Int, val command: ListenCommand)

/** Primary → `serve` worker: [times] times, close the listener for [command] and listen again at once; answered by [Relistened]. */
@Serializable
data class RelistenCommand(val command: ListenCommand, val times: Int)

/** `serve` worker → primary: what each listen of a [RelistenCommand] gave. */
@Serializable
data class Relistened(val results: List<ListenResult>)

/**
 * The `serve` behaviour of [TestWorker]: a server as small as can be, so that the core's listen
 * specs test sharing and nothing else. Each connection gets `"<worker id>\n"`, then is closed.
 */
class LineServer(private val worker: CurrentWorker) {
    private val listeners = HashMap<ListenCommand, ClusterListener>()
    private val answer get() = ByteBuffer.wrap("${worker.id}\n".toByteArray())

    /** Listens on the port (`listen(0)`: the one all workers share) at once, as a real server boots, then serves. */
    suspend fun runListening() {
        listen(ListenCommand(port = 0)).error?.let { error(it) }
        run()
    }

    suspend fun run() {
        worker.onDisconnect {
            listeners.values.forEach { it.close() }
            answering.forEach { it.join(5_000) } // a connection taken is answered before the worker exits
        }
        worker.messages.collect { (payload, _) ->
            when (payload) {
                is Crash -> exitProcess(payload.code)
                Hang -> hang()
                is FallIll -> Ailments.start(payload.kind)
                Leave -> worker.disconnect()
                is ListenCommand -> worker.send(listen(payload))
                is CloseCommand -> {
                    listeners.remove(payload.command)?.close()
                    worker.send(Closed(worker.id, payload.command))
                }
                is RelistenCommand -> worker.send(Relistened(List(payload.times) {
                    listeners.remove(payload.command)?.close()
                    listen(payload.command)
                }))
            }
        }
    }

    private suspend fun listen(command: ListenCommand): ListenResult {
        val options = ListenOptions(exclusive = command.exclusive, strategy = command.strategy?.let { SharingStrategy.parse(it) }, sticky = command.sticky)
        val listener = try {
            if (command.path != null) Cluster.listen(java.net.UnixDomainSocketAddress.of(Path.of(command.path)), options)
            else Cluster.listen(command.port, "127.0.0.1", options)
        } catch (e: Exception) {
            return ListenResult(worker.id, command, error = "${e.javaClass.name}: ${e.message}")
        }
        when (listener) {
            is ClusterListener.Socket -> Thread { acceptLoop(listener.channel, command.answerDelayMillis) }.apply { isDaemon = true }.start()
            is ClusterListener.Connections -> listener.onConnection { connection ->
                if (!command.refuse) answerInThread(connection, command.answerDelayMillis, command.readHead)
                !command.refuse
            }
        }
        listener.listening()
        listeners[command] = listener
        return ListenResult(worker.id, command, listener.port)
    }

    @Volatile private var sink = 0L
    private val HEAD_ROOM = 4096
    private val answering: MutableSet<Thread> = java.util.concurrent.ConcurrentHashMap.newKeySet()

    private fun answerInThread(connection: SocketChannel, delayMillis: Long, readHead: Boolean = false) {
        val thread = Thread { try { if (readHead) answerHead(connection) else answer(connection, delayMillis) } finally { answering -= Thread.currentThread() } }
        answering += thread
        thread.start()
    }

    @OptIn(DelicateCoroutinesApi::class) // the point is to wedge the whole pool, for good
    private fun hang() = repeat(Runtime.getRuntime().availableProcessors() * 4) {
        GlobalScope.launch(Dispatchers.Default) { while (true) sink++ }
    }

    private fun acceptLoop(channel: ServerSocketChannel, delayMillis: Long) {
        runCatching { // ends once the listener closes, which may be before this thread even starts
            channel.configureBlocking(true)
            while (true) answer(channel.accept(), delayMillis)
        }
    }

    /** Reads up to an empty line (the bytes the primary peeked at must all be here), then answers with the count. */
    private fun answerHead(connection: SocketChannel) = connection.use {
        val head = ByteBuffer.allocate(HEAD_ROOM)
        while (!String(head.array(), 0, head.position()).contains("\r\n\r\n") && head.hasRemaining() && it.read(head) >= 0) Unit
        it.write(ByteBuffer.wrap("${worker.id} ${head.position()}\n".toByteArray()))
    }

    private fun answer(connection: SocketChannel, delayMillis: Long) {
        if (delayMillis > 0) Thread.sleep(delayMillis)
        connection.use { it.write(answer) }
    }
}
