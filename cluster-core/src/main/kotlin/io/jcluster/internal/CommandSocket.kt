package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.AdminProtocol
import io.jcluster.AdminReply
import io.jcluster.AdminRequest
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
import java.nio.file.attribute.PosixFilePermission
import java.nio.file.attribute.PosixFilePermissions
import java.nio.file.attribute.UserPrincipal
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread

private val log = KotlinLogging.logger {}

/**
 * The server of `Plugins.control()`: a JDK Unix socket (no native library) in a directory only its
 * owner can enter, mode 0600, that also checks each peer's uid (`SO_PEERCRED`) in case the file
 * system is opened up. One thread per connection reads one request line and writes one reply line,
 * so a long `reload` holds up no `status`.
 */
internal class CommandSocket(path: Path, private val handle: (AdminRequest) -> AdminReply) : AutoCloseable {
    val path: Path = path.toAbsolutePath()
    private val owner: UserPrincipal
    private val server: ServerSocketChannel

    init {
        owner = secureDirectory(this.path.parent)
        refuseIfLive(this.path)
        Files.deleteIfExists(this.path) // left by a primary that was killed
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)
        server.bind(UnixDomainSocketAddress.of(this.path))
        Files.setPosixFilePermissions(this.path, PosixFilePermissions.fromString("rw-------"))
        thread(isDaemon = true, name = "jcluster-control-accept") { acceptAll() }
    }

    override fun close() {
        runCatching { server.close() }
        runCatching { Files.deleteIfExists(path) }
    }

    private fun acceptAll() {
        while (true) {
            val connection = try {
                server.accept()
            } catch (e: ClosedChannelException) {
                return
            } catch (e: IOException) {
                if (!server.isOpen) return
                log.warn(e) { "control socket $path: accept failed; going on" }
                continue
            }
            thread(isDaemon = true, name = "jcluster-control") { serve(connection) }
        }
    }

    private fun serve(connection: SocketChannel): Unit = connection.use {
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
        } catch (e: IOException) {
            return log.debug { "control connection closed before its request: $e" }
        } finally {
            done.complete(Unit)
        }
        val reply = runCatching { AdminProtocol.json.decodeFromString(AdminRequest.serializer(), line) }
            .fold(handle) { AdminReply(false, "not a request (${it.message?.lineSequence()?.first()}); send one JSON line such as {\"command\":\"status\"}") }
        val bytes = (AdminProtocol.json.encodeToString(AdminReply.serializer(), reply) + "\n").toByteArray()
        val buffer = ByteBuffer.wrap(bytes)
        try {
            while (buffer.hasRemaining()) connection.write(buffer)
        } catch (e: IOException) {
            log.debug { "control client left before its reply: $e" }
        }
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
            if (line.size() > AdminProtocol.MAX_LINE) throw IOException("request longer than ${AdminProtocol.MAX_LINE} bytes")
        }
        return line.toString(Charsets.UTF_8)
    }

    private companion object {
        const val READ_TIMEOUT_SECONDS = 10L
        const val BUFFER = 4096
        val OWNER_ONLY = setOf(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE)

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
