package io.jcluster.internal

import io.jcluster.SharingStrategy
import java.nio.channels.SocketChannel

/**
 * `reuse-port`: each worker binds its own `SO_REUSEPORT` socket and the kernel spreads connections.
 * The primary only holds the port with a bound socket that never listens (so `listen(0)` has one
 * port for everybody, and bind errors reach the worker before it binds).
 *
 * With `net.ipv4.tcp_migrate_req=0` (Linux's default) the connections queued at a listener are reset
 * when it closes; so a worker may close its socket only when no other worker that asked for the port
 * is still on its way to listening on it ([mayClose]).
 */
internal class ReusePortHandle(key: PortKey, private val reservation: SocketChannel) : PortHandle(key, reservation.localAddress) {
    override val strategy: SharingStrategy get() = SharingStrategy.REUSE_PORT

    override fun mayClose(lease: Lease): Boolean {
        val others = leases.values.filter { it !== lease && !it.draining }
        return others.isEmpty() || others.any { it.listening }
    }

    override fun close() {
        reservation.close()
    }
}
