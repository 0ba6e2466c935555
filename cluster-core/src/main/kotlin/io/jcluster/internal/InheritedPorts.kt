package io.jcluster.internal

import io.jcluster.SharingStrategy
import java.nio.channels.ServerSocketChannel

/**
 * The listeners a new primary received from the one it upgrades ([Succession]), by the [PortKey] its
 * workers will ask for: the [PortRegistry] takes one instead of binding, so that the port never closes
 * and `listen(0)` keeps its real port. Each is taken once; a later bind of the key binds afresh.
 */
internal class InheritedPorts {
    /**
     * One listener: the socket ([listener]; none under reuse-port, where the port is joined again), or
     * a shared UDP socket ([datagram]), on [bound].
     */
    class Inherited(val listener: ServerSocketChannel?, val bound: WireAddress, val strategy: SharingStrategy, val datagram: java.nio.channels.DatagramChannel? = null)

    private val ports = HashMap<PortKey, Inherited>()

    @Synchronized
    fun add(key: PortKey, inherited: Inherited) {
        ports.put(key, inherited)?.let { it.listener?.close(); it.datagram?.close() }
    }

    /** The listener for [key], now the caller's, or null. */
    @Synchronized
    fun take(key: PortKey): Inherited? = ports.remove(key)

    /** The key of an inherited listener for [key]'s address, at any backlog, or null. */
    @Synchronized
    fun like(key: PortKey): PortKey? = ports.keys.firstOrNull { it.anyBacklog() == key.anyBacklog() }

    /** Closes what no worker asked for (the new primary's workers listen elsewhere now). */
    @Synchronized
    fun closeAll() {
        ports.values.forEach { runCatching { it.listener?.close(); it.datagram?.close() } }
        ports.clear()
    }
}
