package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterListener
import io.jcluster.ListenOptions
import io.jcluster.SharingStrategy
import io.jcluster.ipc.Handle
import io.jcluster.ipc.Incoming
import io.jcluster.ipc.MessageChannel
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import io.jcluster.ClusterDatagram
import java.net.BindException
import java.net.InetSocketAddress
import java.net.SocketAddress
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration

private val log = KotlinLogging.logger {}

/**
 * A worker's listeners: `listen` asks the primary over the control channel and builds the
 * [ClusterListener] its answer calls for; connections the primary hands over (round-robin) go to
 * the listener they belong to. Messages to the primary go out in the order the listeners produce them.
 */
internal class WorkerListeners(
    private val workerId: Int,
    private val control: MessageChannel<ControlMessage>,
    private val scope: CoroutineScope,
    private val releaseWait: Duration,
) {
    private val handed = ConcurrentHashMap<Int, ClusterListener.Connections>()
    private val outbox = Channel<suspend () -> Unit>(Channel.UNLIMITED)
    private val portZeroCalls = ConcurrentHashMap<WireAddress, Int>()
    private val datagramPortZeroCalls = ConcurrentHashMap<WireAddress, Int>()
    private val unacknowledged = ConcurrentHashMap<Int, AtomicInteger>() // per lease: connections taken, not yet acknowledged
    private val acknowledgeQueued = AtomicBoolean()

    init {
        scope.launch { for (action in outbox) runCatching { action() }.onFailure { log.debug { "to the primary: $it" } } }
    }

    /**
     * Asks the primary for a listener on [address]. In a warm standby ([untilPromoted]) the primary
     * holds the call until it promotes the standby, and answers it right after the promotion: the
     * call then waits as long as that takes, and a promoted standby does not wait out a round trip.
     */
    suspend fun listen(address: SocketAddress, options: ListenOptions, untilPromoted: Boolean = false): ClusterListener {
        val wire = WireAddress.of(address)
        if (options.exclusive) return exclusive(address, options.backlog)
        val index = if (wire.path == null && wire.port == 0) portZeroCalls.merge(wire, 1, Int::plus)!! - 1 else 0
        val reply = ControlMessage.Listen(wire, options.backlog, options.strategy, index, options.sticky).let { listen ->
            if (untilPromoted) control.call(listen, timeoutMillis = Long.MAX_VALUE) else control.call(listen)
        }
        return when (val answer = reply.message) {
            is ControlMessage.ListenGranted -> granted(answer, reply.handle, options.backlog)
            is ControlMessage.ListenFailed -> {
                reply.handles.forEach { it.close() }
                throw BindException("${answer.reason} (bound by the primary for worker $workerId)")
            }
            else -> error("the primary answered listen with ${answer::class.simpleName}")
        }
    }

    /** A UDP socket on [address] that the primary binds once and every worker shares ([DatagramHandle]). */
    suspend fun listenDatagram(address: InetSocketAddress): ClusterDatagram {
        val wire = WireAddress.of(address)
        val index = if (wire.port == 0) datagramPortZeroCalls.merge(wire, 1, Int::plus)!! - 1 else 0
        val reply = control.call(ControlMessage.Listen(wire, 0, index = index, datagram = true))
        val answer = reply.message
        if (answer is ControlMessage.ListenFailed) {
            reply.handles.forEach { it.close() }
            throw BindException("${answer.reason} (bound by the primary for worker $workerId)")
        }
        check(answer is ControlMessage.ListenGranted) { "the primary answered a datagram listen with ${answer::class.simpleName}" }
        val channel = (reply.handle as? Handle.Datagram)?.channel ?: error("the primary granted a datagram socket without it")
        send(ControlMessage.Listening(answer.address, answer.lease))
        return ClusterDatagram(answer.address.toSocketAddress() as InetSocketAddress, channel) {
            channel.close()
            release(answer.lease)
        }
    }

    /**
     * A connection the primary hands over. One the listener takes is acknowledged later, in a batch
     * with the others taken meanwhile ([acknowledge]); one it refuses goes back to the primary at once.
     */
    fun handoff(incoming: Incoming<ControlMessage>, handoff: ControlMessage.Handoff) {
        val handle = incoming.handle
        incoming.handles.drop(1).forEach { runCatching { it.close() } }
        val connection = (handle as? Handle.TcpConnection)?.channel ?: (handle as? Handle.UnixConnection)?.channel
        val handler = handed[handoff.lease]?.handler
        val taken = connection != null && handler != null &&
            runCatching { handler.accept(connection) }.getOrElse { log.warn(it) { "a connection handler failed; connection refused" }; false }
        if (taken) {
            unacknowledged.computeIfAbsent(handoff.lease) { AtomicInteger() }.incrementAndGet()
            if (acknowledgeQueued.compareAndSet(false, true)) outbox.trySend(::acknowledge)
            return
        }
        val back = handle.takeIf { connection != null }
        if (back == null) handle?.close()
        outbox.trySend {
            try {
                control.send(ControlMessage.HandoffRefused(handoff.lease, handoff.refusedBy + handoff.lease), back)
            } finally {
                back?.close()
            }
        }
    }

    /**
     * Tells the primary how many connections each listener took since the last time. It runs once the
     * hand-offs that came meanwhile were taken, so under load one message answers many of them.
     */
    private suspend fun acknowledge() {
        acknowledgeQueued.set(false) // a connection taken from now on queues the next acknowledgement
        for ((lease, count) in unacknowledged) {
            val taken = count.getAndSet(0)
            if (taken > 0) control.send(ControlMessage.HandoffsTaken(lease, taken))
        }
    }

    private fun granted(answer: ControlMessage.ListenGranted, handle: Handle?, backlog: Int): ClusterListener {
        val address = answer.address.toSocketAddress()
        val lease = answer.lease
        val listening = { send(ControlMessage.Listening(answer.address, lease)) }
        return when (answer.strategy) {
            SharingStrategy.SHARED -> {
                val channel = (handle as? Handle.TcpListener)?.channel ?: (handle as? Handle.UnixListener)?.channel
                    ?: error("the primary granted a shared listener without its socket")
                ClusterListener.Socket(address, SharingStrategy.SHARED, channel, listening) {
                    channel.close()
                    release(lease)
                }
            }
            SharingStrategy.REUSE_PORT -> {
                val channel = try {
                    SocketBinding.listen(address, backlog, reusePort = true)
                } catch (e: BindException) {
                    send(ControlMessage.Unlisten(lease))
                    throw e
                }
                // Connections queued at a closing reuse-port socket are reset (unless the kernel migrates
                // them): the primary answers once another worker listens, and only then does it close.
                ClusterListener.Socket(address, SharingStrategy.REUSE_PORT, channel, listening) {
                    release(lease)
                    channel.close()
                }
            }
            SharingStrategy.ROUND_ROBIN -> {
                handle?.close()
                ClusterListener.Connections(address, listening) { closeRoundRobin(lease) }.also { handed[lease] = it }
            }
        }
    }

    private fun exclusive(address: SocketAddress, backlog: Int): ClusterListener =
        ClusterListener.local(address, backlog) { bound -> send(ControlMessage.Listening(WireAddress.of(bound))) }

    /**
     * Gives [lease] back and waits, at most [releaseWait], for the primary's answer: once it comes,
     * the primary has closed the port if no worker uses it, so a `listen` right after `close()` binds
     * afresh instead of finding the port in use.
     */
    private fun release(lease: Int) {
        val answered = CompletableDeferred<Unit>()
        outbox.trySend {
            // Sent in the outbox's order (after this listener's `Listening`), awaited outside it.
            scope.launch(start = CoroutineStart.UNDISPATCHED) {
                runCatching { control.call(ControlMessage.Unlisten(lease), timeoutMillis = releaseWait.inWholeMilliseconds) }
                answered.complete(Unit)
            }
        }
        runBlocking { withTimeoutOrNull(releaseWait) { answered.await() } }
    }

    /**
     * Under round-robin, hand-offs may be on their way as the listener closes: from now on each is
     * refused and goes back to the primary, which gives it to another worker. The primary answers the
     * `Unlisten` once every hand-off of the lease is answered, taken or refused; until then (at most
     * [releaseWait]) the worker must not exit, or what is still in its socket is lost with it.
     */
    private fun closeRoundRobin(lease: Int) {
        handed.remove(lease)
        runBlocking {
            withTimeoutOrNull(releaseWait) { runCatching { control.call(ControlMessage.Unlisten(lease), timeoutMillis = releaseWait.inWholeMilliseconds) } }
        }
    }

    private fun send(message: ControlMessage.ToPrimary) {
        outbox.trySend { control.send(message) }
    }
}
