package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ipc.Ipc
import java.net.InetSocketAddress
import java.net.SocketAddress
import java.net.UnixDomainSocketAddress
import java.nio.channels.ServerSocketChannel

private val log = KotlinLogging.logger {}

/**
 * systemd socket activation (`sd_listen_fds(3)`): the listening sockets this process inherited, fds
 * `3 … 3 + LISTEN_FDS - 1`, if `LISTEN_PID` is this process. The primary serves a listen address on
 * the inherited socket that matches it rather than binding one: systemd may hold a privileged port,
 * and keeps the socket (and queues connections) while the service restarts. The sockets are kept
 * for the process's life; the port registry takes duplicates, which it may close.
 */
internal object SocketActivation {
    private const val FIRST_FD = 3

    private val inherited: List<ServerSocketChannel> by lazy { inherit(System.getenv("LISTEN_PID"), System.getenv("LISTEN_FDS")) }

    /** A duplicate of the inherited listener for [address], or null if none matches. */
    fun listenerFor(address: SocketAddress): ServerSocketChannel? =
        inherited.firstOrNull { matches(it.localAddress, address) }?.let { Ipc.duplicate(it) }

    private fun inherit(pid: String?, fds: String?): List<ServerSocketChannel> {
        if (pid?.toLongOrNull() != ProcessHandle.current().pid()) return emptyList()
        val count = fds?.toIntOrNull()?.takeIf { it > 0 } ?: return emptyList()
        return (FIRST_FD until FIRST_FD + count).mapNotNull { fd ->
            runCatching { Ipc.adoptInheritedListener(fd) }
                .onSuccess { log.info { "socket activation: fd $fd listens on ${SocketBinding.describe(it.localAddress)}" } }
                .onFailure { log.warn { "socket activation: fd $fd is not a listening socket (${it.message}); ignored" } }
                .getOrNull()
        }
    }

    /** The same port (any-address matching any-address, of either IP version), or the same socket path. */
    private fun matches(inherited: SocketAddress, wanted: SocketAddress): Boolean = when {
        inherited is InetSocketAddress && wanted is InetSocketAddress -> inherited.port == wanted.port &&
            (inherited.address == wanted.address || (inherited.address.isAnyLocalAddress && wanted.address?.isAnyLocalAddress != false))
        inherited is UnixDomainSocketAddress && wanted is UnixDomainSocketAddress -> inherited.path == wanted.path
        else -> false
    }
}
