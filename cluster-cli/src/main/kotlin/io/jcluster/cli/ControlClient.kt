package io.jcluster.cli

import io.jcluster.AdminProtocol
import io.jcluster.AdminReply
import io.jcluster.AdminRequest
import java.io.ByteArrayOutputStream
import java.io.IOException
import java.net.UnixDomainSocketAddress
import java.nio.ByteBuffer
import java.nio.channels.Channels
import java.nio.channels.SocketChannel
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import kotlin.io.path.isDirectory
import kotlin.io.path.listDirectoryEntries

/** The cluster could not be reached or did not answer; the message says what to do. */
internal class UnreachableException(message: String) : Exception(message)

/** One control socket: [call] sends a request line and reads the reply line, with the JDK's own Unix sockets. */
internal class ControlClient(private val socket: Path) {
    fun call(request: AdminRequest, timeoutMillis: Long): AdminReply {
        val channel = connect()
        channel.use {
            val timer = CompletableFuture.runAsync({ channel.close() }, CompletableFuture.delayedExecutor(timeoutMillis, TimeUnit.MILLISECONDS))
            try {
                send(channel, request)
                val reply = readLine(channel) ?: throw IOException("end of stream")
                return AdminProtocol.json.decodeFromString(AdminReply.serializer(), reply)
            } catch (e: IOException) {
                throw unanswered(e, timer.isDone, timeoutMillis)
            } finally {
                timer.cancel(false)
            }
        }
    }

    /**
     * Sends [request] and hands each reply line to [each] until the cluster closes the connection
     * (a followed `logs`); the first reply must come within [timeoutMillis].
     */
    fun stream(request: AdminRequest, timeoutMillis: Long, each: (AdminReply) -> Unit) {
        val channel = connect()
        channel.use {
            val timer = CompletableFuture.runAsync({ channel.close() }, CompletableFuture.delayedExecutor(timeoutMillis, TimeUnit.MILLISECONDS))
            val lines = try {
                send(channel, request)
                Channels.newInputStream(channel).bufferedReader().lineSequence().iterator().also { if (!it.hasNext()) throw IOException("end of stream") }
            } catch (e: IOException) {
                throw unanswered(e, timer.isDone, timeoutMillis)
            } finally {
                timer.cancel(false)
            }
            try {
                lines.forEach { each(AdminProtocol.json.decodeFromString(AdminReply.serializer(), it)) }
            } catch (e: IOException) {
                return // the cluster went away: the end of the stream
            }
        }
    }

    private fun unanswered(e: IOException, timedOut: Boolean, timeoutMillis: Long): UnreachableException =
        if (timedOut) UnreachableException("$socket: no answer within ${timeoutMillis / 1000} s")
        // A cluster hangs up on a user that is not its own before it reads a word.
        else UnreachableException("$socket closed the connection without an answer (${e.message}): is it another user's cluster?")

    private fun send(channel: SocketChannel, request: AdminRequest) {
        val out = ByteBuffer.wrap((AdminProtocol.json.encodeToString(AdminRequest.serializer(), request) + "\n").toByteArray())
        while (out.hasRemaining()) channel.write(out)
    }

    private fun connect(): SocketChannel = try {
        SocketChannel.open(UnixDomainSocketAddress.of(socket))
    } catch (e: IOException) {
        throw UnreachableException("cannot connect to $socket: ${e.message ?: e}")
    }

    private fun readLine(channel: SocketChannel): String? {
        val bytes = ByteArrayOutputStream()
        val buffer = ByteBuffer.allocate(BUFFER)
        while (true) {
            buffer.clear()
            if (channel.read(buffer) < 0) return bytes.takeIf { it.size() > 0 }?.toString(Charsets.UTF_8)
            bytes.write(buffer.array(), 0, buffer.position())
            val text = bytes.toString(Charsets.UTF_8)
            if (text.endsWith("\n")) return text.trimEnd()
        }
    }

    companion object {
        private const val BUFFER = 64 * 1024

        /**
         * The one running cluster's socket in [AdminProtocol.directories]: sockets that refuse a
         * connection (left by a killed primary) are skipped; none or several live ones is a one-line
         * error that lists what was found and names the flag to pass.
         */
        fun find(directories: List<Path> = AdminProtocol.directories()): Path {
            val sockets = directories.filter { it.isDirectory() }
                .flatMap { dir -> runCatching { dir.listDirectoryEntries("*.sock") }.getOrDefault(emptyList()) }
            val live = sockets.filter { live(it) }
            return live.singleOrNull() ?: throw UnreachableException(
                if (live.isEmpty()) "no running cluster with a control socket in ${directories.joinToString(" or ")}; start one with use(Plugins.control()), or pass --socket PATH"
                else "${live.size} clusters are running (${live.joinToString(", ")}); pick one with --socket PATH",
            )
        }

        private fun live(socket: Path): Boolean = Files.exists(socket) &&
            runCatching { SocketChannel.open(UnixDomainSocketAddress.of(socket)).close() }.isSuccess
    }
}
