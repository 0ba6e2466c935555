package io.jcluster.internal

import io.jcluster.SharingStrategy
import io.jcluster.ipc.Handle
import java.net.SocketAddress
import java.nio.channels.ServerSocketChannel

/**
 * One worker's use of a [PortHandle], from its `listen` until it gives the listener back or goes.
 * [late]: whether the worker's heartbeat is late now (see [Lateness]); round-robin skips it meanwhile.
 */
internal class Lease(val id: Int, val workerId: Int, val link: WorkerLink, val handle: PortHandle, val late: () -> Boolean = { false }) {
    /** The worker's server accepts on it (it said so with `listening()`). */
    var listening = false

    /** The worker is disconnecting: it gets no new work. */
    var draining = false

    /** The worker's slot (null for a worker of `fork()`): sticky sessions rank workers by it. */
    var slot: Int? = null
}

/** What the primary answers a worker's `listen` with: the reply and, under `shared`, the listening socket. */
internal class Grant(val message: ControlMessage.ToWorker, val handle: Handle? = null)

/**
 * A listener the primary holds for its workers under one [SharingStrategy], like Node's
 * `shared_handle.js` and `round_robin_handle.js`: workers come ([add]) and go ([remove]); the
 * [PortRegistry] closes the handle after the last one leaves. Only the primary's loop calls these.
 */
internal abstract class PortHandle(val key: PortKey, val address: SocketAddress) {
    abstract val strategy: SharingStrategy

    /** The listening socket the workers share (shared, round-robin); null under reuse-port, where each worker binds its own. */
    open val listener: ServerSocketChannel? get() = null

    /** Leave a Unix-domain socket's file when closing: another primary serves on the socket (an upgrade). */
    @Volatile var keepSocketFile = false

    val leases = LinkedHashMap<Int, Lease>()

    /** Adds [lease] and says what the worker gets. */
    open fun add(lease: Lease): Grant {
        leases[lease.id] = lease
        return Grant(ControlMessage.ListenGranted(lease.id, strategy, WireAddress.of(address)))
    }

    /** The lease's server accepts now. */
    open fun listening(lease: Lease) {
        lease.listening = true
    }

    /** The lease's worker is disconnecting: give it no new work. */
    open fun drain(lease: Lease) {
        lease.draining = true
    }

    /** Removes [lease]. */
    open fun remove(lease: Lease) {
        leases.remove(lease.id)
    }

    /**
     * Whether [lease]'s worker may close its own socket now without losing queued connections; true
     * unless the strategy says otherwise (reuse-port).
     */
    open fun mayClose(lease: Lease): Boolean = true

    /** Releases the socket; called once, after the last lease left (or when the primary closes). */
    abstract fun close()
}

/**
 * What identifies a listener the workers share, as in Node: the address asked for (port 0 included),
 * the backlog, for port 0 which of the worker's `listen(0)` calls it is, and whether it is UDP.
 */
internal data class PortKey(val address: WireAddress, val backlog: Int, val index: Int, val datagram: Boolean = false) {
    /** This key at whatever backlog: a listener the primary bound ahead ([PortRegistry.declare]) serves every backlog. */
    fun anyBacklog(): PortKey = copy(backlog = 0)
}
