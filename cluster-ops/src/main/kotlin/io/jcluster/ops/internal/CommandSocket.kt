package io.jcluster.ops.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.AdminProtocol
import io.jcluster.AdminReply
import io.jcluster.AdminRequest
import io.jcluster.ipc.LogThrottle
import io.jcluster.ipc.AcceptBackoff
import io.jcluster.ipc.IpcServer
import jdk.net.ExtendedSocketOptions
import java.io.ByteArrayOutputStream
import java.io.IOException
import java.net.StandardProtocolFamily
import java.net.UnixDomainSocketAddress
import java.nio.ByteBuffer
import java.nio.channels.ClosedChannelException
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.Path
import java.nio.file.attribute.BasicFileAttributes
import java.nio.file.attribute.PosixFilePermission
import java.nio.file.attribute.PosixFilePermissions
import java.nio.file.attribute.UserPrincipal
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.RejectedExecutionException
import java.util.concurrent.SynchronousQueue
import java.util.concurrent.ThreadPoolExecutor
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread

private val log = KotlinLogging.logger {}

/**
 * The server of `Plugins.control()`: a JDK Unix socket (no native library) in a directory only its
 * owner can enter, mode 0600, that also checks each peer's uid (`SO_PEERCRED`) in case the file
 * system is opened up. One thread per connection reads one request line and writes one reply line,
 * so a long `reload` holds up no `status` (a followed `logs` sends more replies through [handle]'s
 * second argument, until the peer leaves or the socket closes); at most [MAX_PEERS] at once (more are answered "busy"), and
 * a peer has [READ_TIMEOUT_SECONDS] to send its line. A failed accept (out of descriptors, say) pauses
 * and accepting goes on ([AcceptBackoff]). With [replace], a live socket at the path is replaced (the
 * new primary of an upgrade takes the path from the old one); a socket closes by removing its file
 * only if the file is still its own.
 */
internal class CommandSocket(
    path: Path,
    replace: Boolean = false,
    private val handle: (AdminRequest, send: (AdminReply) -> Unit) -> Unit,
) : AutoCloseable {
    val path: Path = path.toAbsolutePath()
    private val owner: UserPrincipal
    private val server: ServerSocketChannel
    private val file: Any?
    private val backoff = AcceptBackoff("control socket ${this.path}")
    private val refusals = LogThrottle(log)
    private val open: MutableSet<SocketChannel> = ConcurrentHashMap.newKeySet()
    private val peers = ThreadPoolExecutor(0, MAX_PEERS, 30, TimeUnit.SECONDS, SynchronousQueue()) { task ->
        Thread(task, "jcluster-control").apply { isDaemon = true }
    }

    init {
        warmUp()
        owner = secureDirectory(this.path.parent)
        if (!replace) refuseIfLive(this.path)
        Files.deleteIfExists(this.path) // left by a primary that was killed, or (replace) held by the one upgraded
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)
        server.bind(UnixDomainSocketAddress.of(this.path))
        Files.setPosixFilePermissions(this.path, PosixFilePermissions.fromString("rw-------"))
        file = fileKey(this.path)
        thread(isDaemon = true, name = "jcluster-control-accept") { acceptAll() }
    }

    override fun close() {
        runCatching { server.close() }
        peers.shutdown()
        open.forEach { runCatching { it.close() } } // followers of `logs` see the end
        runCatching { if (file != null && fileKey(path) == file) Files.deleteIfExists(path) }
    }

    /** The file's identity (device and inode), or null if it is gone. */
    private fun fileKey(path: Path): Any? =
        runCatching { Files.readAttributes(path, BasicFileAttributes::class.java, LinkOption.NOFOLLOW_LINKS).fileKey() }.getOrNull()

    private fun acceptAll() {
        while (true) {
            val connection = try {
                server.accept().also { backoff.succeeded() }
            } catch (e: IOException) {
                if (e is ClosedChannelException || !server.isOpen) return
                backoff.pause(e)
                continue
            }
            try {
                peers.execute { serve(connection) }
            } catch (e: RejectedExecutionException) {
                busy(connection)
            } catch (e: OutOfMemoryError) { // "unable to create native thread": it passes as threads end
                connection.close()
                backoff.pause(e)
            }
        }
    }

    /** Answers a peer over [MAX_PEERS] at once, without a thread: the reply fits the socket's buffer. */
    private fun busy(connection: SocketChannel) = connection.use {
        refusals.warn { "control socket $path: $MAX_PEERS connections are open, the most it serves at once; answered another one \"busy\"" }
        runCatching {
            connection.configureBlocking(false)
            connection.write(ByteBuffer.wrap(replyLine(AdminReply(false, "busy: $MAX_PEERS control connections are open; try again in a moment"))))
        }
    }

    private fun serve(connection: SocketChannel) {
        open += connection
        try {
            connection.use { answer(it) }
        } finally {
            open -= connection
        }
    }

    private fun answer(connection: SocketChannel) {
        val peer = runCatching { connection.getOption(ExtendedSocketOptions.SO_PEERCRED).user() }.getOrNull()
        if (peer != owner) {
            log.warn { "refused a connection to the control socket $path from user ${peer?.name ?: "unknown"}: only ${owner.name} may control this cluster" }
            return
        }
        // A peer that never finishes its line must not keep a thread forever.
        val timeout = CompletableFuture.delayedExecutor(READ_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        val done = CompletableFuture<Unit>()
        CompletableFuture.runAsync({ if (!done.isDone) runCatching { connection.close() } }, timeout)
        val line = try {
            readLine(connection)
        } catch (e: TooLong) {
            log.warn { "control socket $path: refused a request longer than ${AdminProtocol.MAX_LINE} bytes from ${owner.name}" }
            return reply(connection, AdminReply(false, "request longer than ${AdminProtocol.MAX_LINE} bytes; send one JSON line such as {\"command\":\"status\"}"))
        } catch (e: IOException) {
            return log.debug { "control connection closed before its request: $e" }
        } finally {
            done.complete(Unit)
        }
        val request = runCatching { AdminProtocol.json.decodeFromString(AdminRequest.serializer(), line) }.getOrElse {
            return reply(connection, AdminReply(false, "not a request (${it.message?.lineSequence()?.first()}); send one JSON line such as {\"command\":\"status\"}"))
        }
        try {
            handle(request) { send(connection, it) }
        } catch (e: IOException) {
            log.debug { "control client left before its reply: $e" }
        }
    }

    private fun reply(connection: SocketChannel, reply: AdminReply) = try {
        send(connection, reply)
    } catch (e: IOException) {
        log.debug { "control client left before its reply: $e" }
    }

    /** Writes [reply]; throws [IOException] once the peer left (or [close] closed it). */
    private fun send(connection: SocketChannel, reply: AdminReply) {
        val buffer = ByteBuffer.wrap(replyLine(reply))
        while (buffer.hasRemaining()) connection.write(buffer)
    }

    private fun readLine(connection: SocketChannel): String {
        val line = ByteArrayOutputStream()
        val buffer = ByteBuffer.allocate(BUFFER)
        while (true) {
            buffer.clear()
            if (connection.read(buffer) < 0) {
                if (line.size() == 0) throw IOException("closed without a request") // a client checking that the socket is live
                break
            }
            val newline = (0 until buffer.position()).firstOrNull { buffer.get(it) == '\n'.code.toByte() }
            line.write(buffer.array(), 0, newline ?: buffer.position())
            if (newline != null) break
            if (line.size() > AdminProtocol.MAX_LINE) throw TooLong()
        }
        return line.toString(Charsets.UTF_8)
    }

    /** A request line over [AdminProtocol.MAX_LINE]: answered with an error, not a reset. */
    private class TooLong : Exception()

    private companion object {
        /** How long a peer may take to send its request line; `bin/jcluster` sends it at once. */
        const val READ_TIMEOUT_SECONDS = 5L

        /** Connections served at once (a `reload` holds one for its length); more are answered "busy". */
        const val MAX_PEERS = 64
        const val BUFFER = 4096
        val OWNER_ONLY = setOf(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE)

        fun replyLine(reply: AdminReply): ByteArray = (AdminProtocol.json.encodeToString(AdminReply.serializer(), reply) + "\n").toByteArray()

        /**
         * Loads now what serving a peer needs, while descriptors are there to load it: a class whose
         * initialisation fails for want of one (`ExtendedSocketOptions` opens a native library) stays
         * broken for the life of the JVM.
         */
        fun warmUp() {
            ExtendedSocketOptions.SO_PEERCRED.name()
            replyLine(AdminReply(false, "warm-up"))
            AdminProtocol.json.decodeFromString(AdminRequest.serializer(), """{"command":"status"}""")
            CompletableFuture.delayedExecutor(READ_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        }

        /** Creates [dir] with mode 0700, or checks that it is ours and closed to others; returns its owner (us). */
        fun secureDirectory(dir: Path): UserPrincipal {
            if (Files.notExists(dir)) Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY))
            val owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS)
            val uid = (Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) as Int).toLong()
            val open = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS) - OWNER_ONLY
            if (uid != IpcServer.currentUid || open.isNotEmpty() || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw IOException("refusing to put the control socket in $dir: it must be a directory of uid ${IpcServer.currentUid} with mode 0700 (owner ${owner.name}, extra permissions $open)")
            }
            return owner
        }

        /** Throws if a live cluster already answers at [path]: binding over it would steal its socket. */
        fun refuseIfLive(path: Path) {
            if (!Files.exists(path)) return
            val live = runCatching { SocketChannel.open(UnixDomainSocketAddress.of(path)).close() }.isSuccess
            if (live) throw IOException("a cluster already listens on the control socket $path; give this one another path")
        }
    }
}
