package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.SharingStrategy
import io.jcluster.ipc.Handle
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.trySendBlocking
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import java.net.UnixDomainSocketAddress
import java.nio.channels.ClosedChannelException
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.util.concurrent.atomic.AtomicInteger

private val log = KotlinLogging.logger {}

/**
 * `round-robin`: the primary accepts and hands each connection's fd to the next listening worker in
 * turn (Node's `SCHED_RR`). A worker that is draining, or has [maxPending] hand-offs unanswered, is
 * skipped; a connection a worker refuses goes to the next one. Connections wait in the primary (and
 * then in the kernel's backlog) while no worker can take them.
 *
 * One thread accepts; one coroutine routes. The loop changes the rotation; the router reads it.
 */
internal class RoundRobinHandle(
    key: PortKey,
    private val channel: ServerSocketChannel,
    private val scope: CoroutineScope,
    private val maxPending: Int,
) : PortHandle(key, channel.localAddress) {
    private class Target(val lease: Lease) {
        val pending = AtomicInteger()
    }

    override val strategy: SharingStrategy get() = SharingStrategy.ROUND_ROBIN

    @Volatile private var rotation: List<Target> = emptyList()
    private var next = 0
    private val changes = MutableStateFlow(0L) // ticks whenever a worker might have become able to take a connection
    private val accepted = Channel<SocketChannel>(ACCEPTED_QUEUE)
    private val acceptor = Thread(::acceptConnections, "jcluster-accept-${SocketBinding.describe(address)}").apply { isDaemon = true }
    private val router = scope.launch { for (connection in accepted) route(connection) }

    init {
        acceptor.start()
    }

    override fun listening(lease: Lease) {
        super.listening(lease)
        if (!lease.draining && rotation.none { it.lease === lease }) rotation = rotation + Target(lease)
        tick()
    }

    override fun drain(lease: Lease) {
        super.drain(lease)
        rotation = rotation.filterNot { it.lease === lease }
    }

    override fun remove(lease: Lease) {
        super.remove(lease)
        rotation = rotation.filterNot { it.lease === lease }
    }

    override fun close() {
        channel.close()
        accepted.close()
        router.cancel()
        while (true) accepted.tryReceive().getOrNull()?.close() ?: break
        SocketBinding.removeSocketFile(address)
    }

    private fun acceptConnections() {
        try {
            while (true) {
                val connection = channel.accept()
                if (accepted.trySendBlocking(connection).isFailure) return connection.close()
            }
        } catch (e: ClosedChannelException) {
            // the handle closed
        } catch (e: Exception) {
            if (channel.isOpen) log.error(e) { "round-robin listener ${SocketBinding.describe(address)} stopped accepting" }
        }
    }

    /** Hands [connection] to workers until one takes it, or every worker refused it. */
    private suspend fun route(connection: SocketChannel) {
        val refusedBy = HashSet<Lease>()
        val target = nextTarget(refusedBy) ?: return refuseEverywhere(connection)
        target.pending.incrementAndGet()
        scope.launch {
            var current: Target? = target
            while (current != null) {
                val taken = handOff(current, connection)
                current.pending.decrementAndGet()
                tick()
                if (taken != false) break // taken, or lost with its worker
                refusedBy += current.lease
                current = nextTarget(refusedBy)?.also { it.pending.incrementAndGet() }
                if (current == null) refuseEverywhere(connection)
            }
        }
    }

    /** True: the worker took it; false: it refused; null: the worker went while it was on its way (the connection is lost). */
    private suspend fun handOff(target: Target, connection: SocketChannel): Boolean? {
        val handle = if (address is UnixDomainSocketAddress) Handle.UnixConnection(connection) else Handle.TcpConnection(connection)
        val taken = try {
            target.lease.link.handoff(target.lease.id, handle)
        } catch (e: Exception) {
            log.debug { "hand-off to worker ${target.lease.workerId} failed: $e" }
            connection.close()
            return null
        }
        if (taken) connection.close() // the worker has its own copy now
        return taken
    }

    /**
     * The next worker in turn that can take a connection, waiting while none can; null once every
     * worker that listens has refused it.
     */
    private suspend fun nextTarget(refusedBy: Set<Lease>): Target? {
        while (true) {
            val seen = changes.value
            val current = rotation
            if (current.isNotEmpty() && current.all { it.lease in refusedBy }) return null
            pick(current, refusedBy)?.let { return it }
            changes.first { it != seen }
        }
    }

    @Synchronized
    private fun pick(current: List<Target>, refusedBy: Set<Lease>): Target? {
        for (i in current.indices) {
            val candidate = current[(next + i) % current.size]
            if (candidate.lease !in refusedBy && candidate.pending.get() < maxPending) {
                next = (next + i + 1) % current.size
                return candidate
            }
        }
        return null
    }

    private fun refuseEverywhere(connection: SocketChannel) {
        log.warn { "every worker listening on ${SocketBinding.describe(address)} refused a connection; closed it" }
        connection.close()
    }

    private fun tick() {
        changes.update { it + 1 }
    }

    private companion object {
        const val ACCEPTED_QUEUE = 1024
    }
}
