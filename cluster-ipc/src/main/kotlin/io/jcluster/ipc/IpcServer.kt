package io.jcluster.ipc

import com.sun.security.auth.module.UnixSystem
import io.github.oshai.kotlinlogging.KotlinLogging
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.future.future
import kotlinx.coroutines.runInterruptible
import org.newsclub.net.unix.AFUNIXServerSocketChannel
import org.newsclub.net.unix.AFUNIXSocketAddress
import org.newsclub.net.unix.AFUNIXSocketChannel
import java.io.Closeable
import java.io.IOException
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.Path
import java.nio.file.attribute.PosixFilePermission
import java.nio.file.attribute.PosixFilePermissions
import java.util.concurrent.CompletableFuture

private val log = KotlinLogging.logger {}

/**
 * A listening Unix socket that accepts [IpcConnection]s. It lives in a directory only its owner can
 * enter (created with mode 0700, and refused if it exists with wider permissions or another owner),
 * and it turns away peers whose uid is not in [allowedUids] (by default: this process's own uid).
 */
public class IpcServer private constructor(
    public val path: Path,
    private val socket: AFUNIXServerSocketChannel,
    private val options: IpcOptions,
    private val allowedUids: Set<Long>,
) : Closeable {
    private val backoff = AcceptBackoff("${options.name} socket $path")

    /** Why this server cannot accept now (say, out of descriptors), or null: see [AcceptBackoff.problem]. */
    public val acceptProblem: String? get() = backoff.problem

    /**
     * Waits for the next allowed peer. Peers from other uids are logged and closed, and waiting goes on.
     * A failed accept (out of descriptors, say) is logged at a bounded rate and retried after a pause
     * that grows from 5 ms to 1 s ([AcceptBackoff]). Throws [IpcClosedException] once the server is closed.
     */
    public suspend fun accept(connectionOptions: IpcOptions = options): IpcConnection {
        while (true) {
            val peer = acceptOrPause() ?: continue
            val credentials = try {
                peer.peerCredentials
            } catch (e: IOException) {
                log.debug { "a peer of $path left before its credentials were read: $e" }
                peer.close()
                continue
            }
            if (credentials.uid in allowedUids) return start(peer, connectionOptions) ?: continue
            log.warn { "refused a connection on $path from pid ${credentials.pid}, uid ${credentials.uid}: only uids $allowedUids may connect" }
            peer.close()
        }
    }

    /** [accept] for Java callers. */
    @JvmOverloads
    public fun acceptAsync(connectionOptions: IpcOptions = options): CompletableFuture<IpcConnection> =
        CoroutineScope(Dispatchers.IO).future { accept(connectionOptions) }

    /** The next peer, or null after a failed accept and its pause. */
    private suspend fun acceptOrPause(): AFUNIXSocketChannel? =
        try {
            runInterruptible(Dispatchers.IO) { socket.accept() }.also { backoff.succeeded() }
        } catch (e: IOException) {
            if (!socket.isOpen) throw IpcClosedException("the IPC server at $path is closed", e)
            delay(backoff.failed(e))
            null
        }

    /**
     * The started connection to [peer]; null, [peer] closed and a pause taken, if it could not start:
     * a connection needs descriptors of its own (a selector) and a thread, which run out like accepts.
     */
    private suspend fun start(peer: AFUNIXSocketChannel, connectionOptions: IpcOptions): IpcConnection? {
        val failure = try {
            return IpcConnection(peer, connectionOptions).start()
        } catch (e: IOException) {
            e
        } catch (e: OutOfMemoryError) { // "unable to create native thread": it passes as threads end
            e
        }
        peer.close()
        delay(backoff.failed(failure))
        return null
    }

    /** Stops accepting and removes the socket file; connections already made stay open. */
    override fun close() {
        socket.close()
        Files.deleteIfExists(path)
    }

    public companion object {
        /** This process's uid. */
        @JvmStatic
        public val currentUid: Long by lazy { UnixSystem().uid }

        /**
         * Binds a server at [path], creating its parent directory with mode 0700 if needed. A stale
         * socket file left by a killed process is replaced.
         */
        @JvmStatic
        @JvmOverloads
        public fun bind(path: Path, options: IpcOptions = IpcOptions(), allowedUids: Set<Long> = setOf(currentUid)): IpcServer {
            secureDirectory(path.toAbsolutePath().parent)
            Files.deleteIfExists(path)
            val socket = AFUNIXServerSocketChannel.open()
            socket.bind(AFUNIXSocketAddress.of(path))
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"))
            return IpcServer(path, socket, options, allowedUids)
        }

        private fun secureDirectory(dir: Path) {
            if (Files.notExists(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")))
            }
            val owner = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) as Int
            val open = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS) - OWNER_ONLY
            if (owner.toLong() != currentUid || open.isNotEmpty()) {
                throw IOException("refusing to put an IPC socket in $dir: it must be owned by uid $currentUid with mode 0700 " +
                    "(owner is $owner, extra permissions $open); use a private directory")
            }
        }

        private val OWNER_ONLY = setOf(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE)
    }
}
