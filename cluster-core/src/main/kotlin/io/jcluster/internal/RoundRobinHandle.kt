package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.SharingStrategy
import io.jcluster.StickySessions
import io.jcluster.ipc.Handle
import io.jcluster.ipc.ListenerAcceptor
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.trySendBlocking
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.runInterruptible
import kotlinx.coroutines.withTimeoutOrNull
import java.net.UnixDomainSocketAddress
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger

private val log = KotlinLogging.logger {}

/**
 * `round-robin`: the primary accepts and hands each connection's fd to the next listening worker in
 * turn (Node's `SCHED_RR`). A hand-off is one message, not a call: the worker acknowledges taken
 * connections in batches ([taken]) and sends a refused one back ([refused]), which then goes to a
 * worker that has not refused it yet, or is closed once every worker has. A worker that is draining,
 * or has [maxPending] hand-offs not yet acknowledged, or whose heartbeat is late ([Lease.late]: a
 * stopped JVM would only hoard them until it is killed), is skipped. Connections wait in the primary
 * (and then in the kernel's backlog) while no worker can take them.
 *
 * With [sticky] sessions a connection goes to the worker that ranks highest for its key
 * ([Rendezvous]) among those the rules above do not skip, instead of to the next in turn; a key read
 * from the first bytes is waited for off the router ([StickyRouter]).
 *
 * One thread accepts; one coroutine routes. The loop changes the rotation and reports the workers'
 * acknowledgements; the router reads the rotation and counts what it sends.
 */
internal class RoundRobinHandle(
    key: PortKey,
    private val channel: ServerSocketChannel,
    private val scope: CoroutineScope,
    private val maxPending: Int,
    /** Sticky sessions on this listener; null: every connection to the next worker in turn. */
    val sticky: StickySessions? = null,
) : PortHandle(key, channel.localAddress) {
    private class Target(val lease: Lease) {
        /** Connections sent to the worker that it has neither acknowledged nor sent back. */
        val pending = AtomicInteger()

        /** What sticky sessions rank this worker by. */
        val seed = Rendezvous.seed(lease.slot, lease.workerId)
    }

    override val strategy: SharingStrategy get() = SharingStrategy.ROUND_ROBIN
    override val listener: ServerSocketChannel get() = channel

    // Every lease's target, in the rotation or not: acknowledgements still come once a worker drains.
    private val targets = ConcurrentHashMap<Int, Target>()
    @Volatile private var rotation: List<Target> = emptyList()
    private var next = 0
    private val changes = MutableStateFlow(0L) // ticks whenever a worker might have become able to take a connection
    private val accepted = Channel<SocketChannel>(ACCEPTED_QUEUE)
    private val acceptor = ListenerAcceptor(channel, "round-robin listener ${SocketBinding.describe(address)}") { connection ->
        if (accepted.trySendBlocking(connection).isFailure) connection.close()
    }
    private val acceptorThread = Thread(::acceptConnections, "jcluster-accept-${SocketBinding.describe(address)}").apply { isDaemon = true }
    private val stickyRouter = sticky?.let { StickyRouter(it, SocketBinding.describe(address)) }
    private val router = scope.launch { for (connection in accepted) dispatch(connection, emptySet()) }

    init {
        acceptorThread.start()
    }

    override fun add(lease: Lease): Grant {
        targets[lease.id] = Target(lease)
        return super.add(lease)
    }

    override fun listening(lease: Lease) {
        super.listening(lease)
        val target = targets[lease.id] ?: return
        if (!lease.draining && target !in rotation) rotation = rotation + target
        tick()
    }

    override fun drain(lease: Lease) {
        super.drain(lease)
        rotation = rotation.filterNot { it.lease === lease }
    }

    override fun remove(lease: Lease) {
        super.remove(lease)
        targets.remove(lease.id)
        rotation = rotation.filterNot { it.lease === lease }
    }

    /** A worker giving its lease back may go once its hand-offs are answered: a refused one must still find this lease. */
    override fun mayClose(lease: Lease): Boolean = (targets[lease.id]?.pending?.get() ?: 0) == 0

    /**
     * Stops accepting (the cluster is closing): takes what the kernel has queued, then closes the
     * socket, so that its backlog is not reset; what was accepted still goes to the workers: see [awaitRouted].
     */
    fun stopAccepting() = acceptor.requestClose()

    /** Returns once every connection accepted before [stopAccepting] went to a worker (or was closed). */
    suspend fun awaitRouted() {
        // The queue closes after the accepting thread ends: a connection it had just accepted would be closed unanswered.
        runInterruptible(Dispatchers.IO) { acceptorThread.join() }
        accepted.close()
        router.join()
        stickyRouter?.let { withTimeoutOrNull(it.peekTimeout * 2) { while (it.pending > 0) delay(PEEK_POLL_MILLIS) } }
    }

    /** [lease]'s worker took [count] more of the connections sent to it. */
    fun taken(lease: Lease, count: Int) {
        val target = targets[lease.id] ?: return
        target.pending.updateAndGet { (it - count).coerceAtLeast(0) }
        tick()
    }

    /**
     * [lease]'s worker refused a connection and sent it back ([connection]; null if it could not):
     * it goes to a worker not in [refusedBy] (which holds [lease]).
     */
    fun refused(lease: Lease, connection: SocketChannel?, refusedBy: Set<Int>) {
        targets[lease.id]?.pending?.updateAndGet { (it - 1).coerceAtLeast(0) }
        tick()
        if (connection == null) return log.warn { "worker ${lease.workerId} refused a connection on ${SocketBinding.describe(address)} and lost it" }
        scope.launch { dispatch(connection, refusedBy) }
    }

    override fun close() {
        accepted.close() // first: an acceptor waiting for room in the queue closes its connection and goes on
        acceptor.close() // the port is free for a new bind (the next listen, often at once) when it returns
        router.cancel()
        stickyRouter?.close()
        while (true) accepted.tryReceive().getOrNull()?.close() ?: break
        if (!keepSocketFile) SocketBinding.removeSocketFile(address)
    }

    /** Accepts until the handle closes; a failed accept (out of descriptors, say) pauses, and accepting goes on. */
    private fun acceptConnections() {
        try {
            while (acceptor.acceptSome()) continue
        } catch (e: Exception) {
            if (channel.isOpen) log.error(e) { "round-robin listener ${SocketBinding.describe(address)} stopped accepting" }
        }
    }

    /** Routes [connection]: at once, or (sticky, by its first bytes) once they came. */
    private suspend fun dispatch(connection: SocketChannel, refusedBy: Set<Int>) {
        val sticky = stickyRouter ?: return route(connection, refusedBy, null)
        if (!sticky.peeks) return route(connection, refusedBy, sticky.ipKey(connection))
        sticky.peekKey(connection) { key -> scope.launch { route(connection, refusedBy, key) } }
    }

    /**
     * Sends [connection] to the next worker (or, with a sticky [key], the worker for that key) that can
     * take it and has not refused it; the link closes the primary's copy.
     */
    private suspend fun route(connection: SocketChannel, refusedBy: Set<Int>, key: Long?) {
        val target = try {
            nextTarget(refusedBy, key) ?: return refuseEverywhere(connection)
        } catch (e: CancellationException) {
            connection.close()
            throw e
        }
        target.pending.incrementAndGet()
        val handle = if (address is UnixDomainSocketAddress) Handle.UnixConnection(connection) else Handle.TcpConnection(connection)
        try {
            target.lease.link.handoff(target.lease.id, handle, refusedBy.toList())
        } catch (e: Exception) {
            if (e is CancellationException) throw e
            target.pending.decrementAndGet()
            log.debug { "hand-off to worker ${target.lease.workerId} failed (the connection is lost with it): $e" }
        }
    }

    /**
     * The next worker in turn that can take a connection, waiting while none can; null once every
     * worker that listens has refused it.
     */
    private suspend fun nextTarget(refusedBy: Set<Int>, key: Long?): Target? {
        while (true) {
            val seen = changes.value
            val current = rotation
            if (current.isNotEmpty() && current.all { it.lease.id in refusedBy }) return null
            pick(current, refusedBy, key)?.let { return it }
            // A late worker answering again does not tick: look again after a while in any case.
            withTimeoutOrNull(LATE_RECHECK_MILLIS) { changes.first { it != seen } }
        }
    }

    @Synchronized
    private fun pick(current: List<Target>, refusedBy: Set<Int>, key: Long?): Target? {
        if (key != null) return Rendezvous.pick(current, key, Target::seed) { it.canTake(refusedBy) }
        for (i in current.indices) {
            val candidate = current[(next + i) % current.size]
            if (candidate.canTake(refusedBy)) {
                next = (next + i + 1) % current.size
                return candidate
            }
        }
        return null
    }

    private fun Target.canTake(refusedBy: Set<Int>) = lease.id !in refusedBy && pending.get() < maxPending && !lease.late()

    private fun refuseEverywhere(connection: SocketChannel) {
        log.warn { "every worker listening on ${SocketBinding.describe(address)} refused a connection; closed it" }
        connection.close()
    }

    private fun tick() {
        changes.update { it + 1 }
    }

    private companion object {
        const val ACCEPTED_QUEUE = 1024
        const val LATE_RECHECK_MILLIS = 100L
        const val PEEK_POLL_MILLIS = 10L
    }
}
