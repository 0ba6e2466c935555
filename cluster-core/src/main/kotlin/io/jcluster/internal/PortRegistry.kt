package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.SharingStrategy
import io.jcluster.StickySessions
import io.jcluster.ipc.Handle
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeoutOrNull
import java.net.BindException
import java.net.InetSocketAddress
import java.net.SocketAddress
import java.nio.channels.SocketChannel
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

private val log = KotlinLogging.logger {}

/**
 * The listeners the primary holds for its workers, one [PortHandle] per [PortKey]: bound on the
 * first worker's `listen`, closed after the last worker gives it back or goes (unless [hold] keeps
 * it). A failed bind leaves nothing behind, so a later `listen` on the same port binds afresh. The
 * primary's loop calls it, and a forced restart ([hold], [release]) and the primary's close
 * ([closeAll]) from outside the loop: every method is synchronized.
 */
internal class PortRegistry(
    private val scope: CoroutineScope,
    /** How long a port stays open once [workerId]'s lease, the last on it, ends: while a supervised worker's slot waits for its next worker. */
    private val keepFor: (workerId: Int) -> Duration = { Duration.ZERO },
) {
    private val handles = HashMap<PortKey, PortHandle>()
    private val declared = HashMap<PortKey, PortHandle>() // by PortKey.anyBacklog: what a worker asks for at any backlog
    private val leases = HashMap<Int, Lease>()
    private val waitingToClose = LinkedHashMap<Lease, suspend () -> Unit>()
    private val closedAt = HashMap<WireAddress, Long>() // System.nanoTime() of each address's last close: see bindAfterClose
    private var nextLease = 0
    private var holding = false

    /** Listeners handed over by the primary this one upgrades, taken instead of binding. */
    val inherited = InheritedPorts()

    /** The handle for [request] (binding it if it is new) and what [workerId] gets; a failure as [ControlMessage.ListenFailed]. */
    @Synchronized
    fun listen(
        workerId: Int,
        link: WorkerLink,
        request: ControlMessage.Listen,
        default: SharingStrategy,
        maxPending: Int,
        draining: Boolean,
        late: () -> Boolean = { false },
        sticky: StickySessions? = null,
        slot: Int? = null,
    ): Grant {
        val key = PortKey(request.address, request.backlog, request.index, request.datagram)
        val policy = ListenPolicy.of(request, default, sticky).getOrElse { return Grant(ControlMessage.ListenFailed(it.message!!)) }
        val handle = handles[key] ?: declared[key.anyBacklog()] ?: try {
            bindAfterClose(key, policy, maxPending).also { handles[key] = it }
        } catch (e: BindException) {
            log.info { "worker $workerId cannot listen: ${e.message}" }
            return Grant(ControlMessage.ListenFailed(e.message ?: "cannot bind ${request.address}"))
        }
        mismatch(handle, request, policy)?.let { return Grant(ControlMessage.ListenFailed(it)) }
        val lease = Lease(++nextLease, workerId, link, handle, late).also { it.draining = draining; it.slot = slot }
        leases[lease.id] = lease
        return handle.add(lease)
    }

    /**
     * Binds [request]'s address before any worker asks for it (see [DeclaredPorts]); the handle then
     * serves every worker's `listen` of that address, at any backlog, and stays open until [closeAll].
     * Under reuse-port it is the port's reservation, kept: the workers join its `SO_REUSEPORT` group.
     *
     * @throws java.net.BindException if the address cannot be bound.
     * @throws IllegalArgumentException if [request] asks for what the cluster cannot give (sticky reuse-port).
     */
    @Synchronized
    fun declare(request: ControlMessage.Listen, default: SharingStrategy, maxPending: Int, sticky: StickySessions?): SocketAddress {
        val key = PortKey(request.address, request.backlog, request.index, request.datagram)
        declared[key.anyBacklog()]?.let { return it.address }
        val policy = ListenPolicy.of(request, default, sticky).getOrThrow()
        val handle = bind(inherited.like(key) ?: key, policy, maxPending)
        handles[handle.key] = handle
        declared[key.anyBacklog()] = handle
        return handle.address
    }

    /** The worker's server accepts on [leaseId]; returns its address for the Listening event, or null for an unknown lease. */
    @Synchronized
    fun listening(workerId: Int, leaseId: Int): SocketAddress? {
        val lease = leases[leaseId]?.takeIf { it.workerId == workerId } ?: return null
        lease.handle.listening(lease)
        releaseWaiting()
        return lease.handle.address
    }

    /** The worker gives [leaseId] back; [closed] runs once the worker may close its socket safely. */
    @Synchronized
    fun unlisten(workerId: Int, leaseId: Int, closed: suspend () -> Unit) {
        val lease = leases[leaseId]?.takeIf { it.workerId == workerId }
        if (lease == null) return scope.launchQuietly(closed)
        lease.handle.drain(lease)
        waitingToClose[lease] = closed
        releaseWaiting()
    }

    /**
     * [workerId]'s answer to round-robin hand-offs: [ControlMessage.HandoffsTaken], or
     * [ControlMessage.HandoffRefused] with the refused connection, which goes to another worker.
     */
    @Synchronized
    fun handoffAnswer(workerId: Int, answer: ControlMessage.HandoffAnswer, connection: Handle?) {
        val leaseId = answer.lease
        val lease = leases[leaseId]?.takeIf { it.workerId == workerId }
        val handle = lease?.handle as? RoundRobinHandle
        if (lease == null || handle == null) {
            if (connection != null) log.warn { "worker $workerId sent back a connection of lease $leaseId, which is gone; closed it" }
            return connection?.close() ?: Unit
        }
        when (answer) {
            is ControlMessage.HandoffsTaken -> handle.taken(lease, answer.count)
            is ControlMessage.HandoffRefused -> handle.refused(lease, connection?.channelOrNull(), answer.refusedBy.toSet() + leaseId)
            else -> error("not an answer to hand-offs: $answer")
        }
        releaseWaiting()
    }

    /** [workerId] is disconnecting: it gets no new connections. */
    @Synchronized
    fun drain(workerId: Int) {
        leasesOf(workerId).forEach { it.handle.drain(it) }
        releaseWaiting()
    }

    /** [workerId] is gone: its leases end. */
    @Synchronized
    fun removeWorker(workerId: Int) {
        leasesOf(workerId).forEach { end(it) }
        releaseWaiting()
    }

    /**
     * Keeps every listener open until [release], even once no worker uses it: a forced restart kills
     * every worker at once, and a connection made before their replacements listen should wait in the
     * backlog, on the same port, instead of being refused.
     */
    @Synchronized
    fun hold() {
        holding = true
    }

    /** Ends [hold]: a listener that no worker uses by now closes. */
    @Synchronized
    fun release() {
        holding = false
        handles.values.filter(::unused).forEach(::close)
    }

    /**
     * The cluster is closing: the round-robin listeners stop accepting, and the connections they
     * accepted already still go to the workers, before those are told to disconnect (at most [wait]).
     * A connection made later is refused by the kernel rather than accepted and then closed unserved.
     */
    suspend fun stopAccepting(wait: Duration) {
        val roundRobin = synchronized(this) { handles.values.filterIsInstance<RoundRobinHandle>().onEach { it.stopAccepting() } }
        withTimeoutOrNull(wait) { roundRobin.forEach { it.awaitRouted() } }
    }

    /** Closes every handle (the primary is closing). */
    @Synchronized
    fun closeAll() {
        handles.values.forEach { runCatching { it.close() } }
        handles.clear()
        declared.clear()
        inherited.closeAll()
        leases.clear()
        waitingToClose.clear()
    }

    /** Why [request] cannot share [handle], which other workers share another way; null if it can. */
    private fun mismatch(handle: PortHandle, request: ControlMessage.Listen, policy: ListenPolicy): String? {
        if (handle.strategy != policy.strategy && request.strategy != null) {
            return "${request.address} is already shared by other workers under ${handle.strategy}, not ${policy.strategy}: one port has one strategy"
        }
        val sticky = (handle as? RoundRobinHandle)?.sticky != null
        if (handle is RoundRobinHandle && sticky != (policy.sticky != null) && request.sticky != null) {
            return "${request.address} is already shared by other workers ${if (sticky) "with" else "without"} sticky sessions: one port routes one way"
        }
        return null
    }

    /**
     * [bind], retried for a moment ([LINGER_WAIT]) if the address is in use and this registry closed
     * it just now. Under shared the socket the primary closed is also a worker's, and a worker thread
     * blocked in `accept` holds it in the kernel after that worker's `close()` returned: the JDK
     * wakes the thread with a signal and releases the socket once it has left `accept`. The worker's
     * next `listen` must not find its own old socket in the way.
     */
    private fun bindAfterClose(key: PortKey, policy: ListenPolicy, maxPending: Int): PortHandle {
        val deadline = System.nanoTime() + LINGER_WAIT.inWholeNanoseconds
        while (true) {
            try {
                return bind(key, policy, maxPending).also { closedAt.remove(key.address) }
            } catch (e: BindException) {
                val closed = closedAt[key.address]
                val now = System.nanoTime()
                if (closed == null || now - closed > RECENT_CLOSE.inWholeNanoseconds || now > deadline) throw e
                Thread.sleep(1)
            }
        }
    }

    private fun bind(key: PortKey, policy: ListenPolicy, maxPending: Int): PortHandle {
        val inherited = inherited.take(key)
        val address = (inherited?.bound ?: key.address).toSocketAddress()
        if (key.datagram) return DatagramHandle(key, inherited?.datagram ?: DatagramHandle.bind(address as InetSocketAddress))
        fun listener() = inherited?.listener ?: listen(address, key.backlog)
        return when (policy.strategy) {
            SharingStrategy.SHARED -> SharedHandle(key, listener())
            SharingStrategy.ROUND_ROBIN -> RoundRobinHandle(key, listener(), scope, maxPending, policy.sticky)
            // The old primary's reservation stays in the SO_REUSEPORT group until it exits: join it.
            SharingStrategy.REUSE_PORT -> ReusePortHandle(key, SocketBinding.reservePort(address as InetSocketAddress)).also { inherited?.listener?.close() }
        }.also {
            it.keepSocketFile = inherited != null // the socket file is the old primary's, which may still serve on it
            log.debug { "${if (inherited != null) "took over" else "bound"} ${it.address} for the workers (${policy.strategy}${if (policy.sticky != null) ", sticky" else ""})" }
        }
    }

    /**
     * Every listener, for a new primary that takes over ([PrimaryUpgrade]); from now on closing one
     * leaves its socket file in place, as the new primary serves on it.
     */
    @Synchronized
    fun handOver(): List<PortHandle> = handles.values.onEach { it.keepSocketFile = true }.toList()

    /** The old primary let go of the listeners this one took over: their socket files are this one's now. */
    @Synchronized
    fun ownInherited() {
        handles.values.forEach { it.keepSocketFile = false }
    }

    /** systemd's inherited listener for [address] if there is one (see [SocketActivation]), else a new one. */
    private fun listen(address: SocketAddress, backlog: Int) = SocketActivation.listenerFor(address) ?: SocketBinding.listen(address, backlog)

    private fun leasesOf(workerId: Int) = leases.values.filter { it.workerId == workerId }

    /**
     * Ends [lease]. A port left with no worker on it closes, unless [keepFor] keeps it open (a
     * supervised worker's next one is coming: connections wait in the backlog for it instead of
     * being reset, and new ones are not refused meanwhile).
     */
    private fun end(lease: Lease) {
        leases.remove(lease.id)
        val handle = lease.handle
        handle.remove(lease)
        val keep = keepFor(lease.workerId)
        if (unused(handle)) if (keep.isPositive()) closeLater(handle, keep) else close(handle)
        // Answered last: the worker's close() returns on it, and may listen on the port at once.
        waitingToClose.remove(lease)?.let { scope.launchQuietly(it) }
    }

    /** Closes [handle] after [delay] if no worker took it meanwhile. */
    private fun closeLater(handle: PortHandle, delay: Duration) {
        scope.launch {
            delay(delay)
            synchronized(this@PortRegistry) {
                if (handles[handle.key] === handle && unused(handle)) close(handle)
            }
        }
    }

    /** No worker uses [handle], and nothing keeps it open: neither [hold] nor [declare]. */
    private fun unused(handle: PortHandle) = handle.leases.isEmpty() && !holding && handle !in declared.values

    private fun close(handle: PortHandle) {
        handles.remove(handle.key)
        handle.close()
        val now = System.nanoTime()
        closedAt.values.removeIf { now - it > RECENT_CLOSE.inWholeNanoseconds }
        closedAt[handle.key.address] = now
        log.debug { "closed ${handle.address}: no worker uses it" }
    }

    /** Ends every lease waiting to close that may now close. */
    private fun releaseWaiting() {
        waitingToClose.keys.filter { it.handle.mayClose(it) }.forEach { end(it) }
    }

    /** The connection a refusal brought back; any other handle is closed. */
    private fun Handle.channelOrNull(): SocketChannel? = when (this) {
        is Handle.TcpConnection -> channel
        is Handle.UnixConnection -> channel
        else -> null.also { close() }
    }

    private fun CoroutineScope.launchQuietly(action: suspend () -> Unit) {
        launch { runCatching { action() } }
    }

    private companion object {
        /** How long after its close an address in use may still be this registry's own socket. */
        val RECENT_CLOSE = 1.seconds

        /** How long a bind waits for such a socket to go: a signalled thread leaving `accept`, on a loaded machine. */
        val LINGER_WAIT = 250.milliseconds
    }
}
