package io.jcluster.internal

import io.jcluster.ClusterSettings
import io.jcluster.ListenOptions
import java.net.BindException
import java.net.InetSocketAddress
import java.net.SocketAddress
import java.nio.file.Files
import java.nio.file.Path

/**
 * The primary binds the addresses of `listen(…)` before it forks any worker, as gunicorn's arbiter
 * does: a port it cannot have fails the cluster's start at once, in one line, instead of every
 * worker booting to fail at its own `listen`. Each socket is then the one the workers share
 * ([PortRegistry.declare]): nothing is bound twice.
 */
internal object DeclaredPorts {
    /**
     * Binds every address in [addresses] as a worker listening with [options] would have it bound.
     *
     * @throws BindException with a one-line message naming the address (and, where Linux tells, the
     *   process holding the port); the addresses bound before it stay with [ports], which the caller closes.
     */
    fun bind(ports: PortRegistry, addresses: List<SocketAddress>, options: ListenOptions, settings: ClusterSettings) {
        for (address in addresses) {
            val request = ControlMessage.Listen(WireAddress.of(address), options.backlog, options.strategy, 0, options.sticky)
            try {
                ports.declare(request, settings.strategy, settings.maxPendingHandoffs, settings.sticky)
            } catch (e: BindException) {
                throw BindException(message(address, e)).apply { initCause(e) }
            } catch (e: IllegalArgumentException) {
                throw BindException("cannot listen on ${SocketBinding.describe(address)}: ${e.message}").apply { initCause(e) }
            }
        }
    }

    /** What went wrong with [address], in one line a user can act on. */
    fun message(address: SocketAddress, failure: BindException): String {
        val where = SocketBinding.describe(address)
        val why = failure.message?.removeSuffix(": $where") ?: "cannot bind"
        val port = (address as? InetSocketAddress)?.port ?: 0
        val hint = when {
            port == 0 -> null
            why.contains("in use", ignoreCase = true) -> PortHolder.describe(port)?.let { "held by $it" }
            why.contains("denied", ignoreCase = true) -> privilegedHint(port)
            else -> null
        }
        return "cannot listen on $where: $why" + (hint?.let { " ($it)" } ?: "")
    }

    private fun privilegedHint(port: Int): String? {
        val first = runCatching { Files.readString(Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start")).trim().toInt() }.getOrDefault(1024)
        return if (port < first) "ports below $first need root or CAP_NET_BIND_SERVICE in the primary; its workers may run as another user" else null
    }
}
