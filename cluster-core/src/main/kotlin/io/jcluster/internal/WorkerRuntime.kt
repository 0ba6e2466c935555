package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterListener
import io.jcluster.ListenOptions
import io.jcluster.SharingStrategy
import io.jcluster.internal.ControlMessage.Listen
import io.jcluster.internal.ControlMessage.ListenGranted
import io.jcluster.internal.ControlMessage.Listening
import io.jcluster.internal.ControlMessage.Promote
import io.jcluster.WorkerLoad
import io.jcluster.ipc.Handle
import io.jcluster.ipc.Incoming
import io.jcluster.ipc.Ipc
import io.jcluster.ipc.IpcClosedException
import io.jcluster.ipc.IpcOptions
import io.jcluster.ipc.JsonCodec
import io.jcluster.ipc.Lane
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import java.lang.management.ManagementFactory
import java.lang.management.MemoryType
import io.jcluster.ClusterDatagram
import java.net.InetSocketAddress
import java.net.SocketAddress
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicLong
import kotlin.system.exitProcess
import kotlin.time.Duration.Companion.seconds

private val log = KotlinLogging.logger {}

/**
 * The worker's side of the control channel. Connecting says hello (which makes the worker online);
 * a thread that is not a daemon keeps the process alive while the channel is up, like Node's IPC
 * channel, and ends the process when it closes: with 0 after a disconnect, at once with
 * [EXIT_PRIMARY_GONE] if the primary went away (a worker never outlives its primary).
 *
 * A warm standby ([WorkerEnvironment.standby]) is online but not yet part of the cluster: whatever
 * would show it to the cluster (`listen`, `ready`, `send`, reading `slot`) waits until the primary
 * promotes it into a slot. Its JVM start, and the application's work before that point, are done by then.
 */
internal class WorkerRuntime(environment: WorkerEnvironment) {
    val id: Int = environment.workerId

    @Volatile private var assignedSlot: Int? = environment.slot
    private val promotion = CompletableDeferred<Unit>().apply { if (!environment.standby) complete(Unit) }

    /** This worker's slot; in a standby, blocks until it is promoted. */
    val slot: Int?
        get() {
            if (!promotion.isCompleted) runBlocking { promotion.await() }
            return assignedSlot
        }
    private val maxRequests = environment.maxRequests
    // The codec (kotlinx.serialization's classes) is loaded before the connection opens: the primary's
    // hello timeout then counts only the hello's own way, however slowly a loaded machine loads classes.
    private val controlCodec = JsonCodec(ControlMessage.serializer()).also { it.encode(ControlMessage.Hello(id, "")) }
    private val connection = Ipc.connect(environment.controlSocket, IpcOptions(name = "primary"))
    private val control = connection.open(Lane.CONTROL, controlCodec)
    private val user = connection.open(Lane.USER, PayloadCodec)
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val disconnectHooks = CopyOnWriteArrayList<suspend () -> Unit>()
    private val disconnecting = AtomicBoolean(false)
    @Volatile private var exitCode: Int? = null
    private val readySent = AtomicBoolean(false)
    private val requests = AtomicLong()
    private val livenessChecks = CopyOnWriteArrayList<suspend () -> Boolean>()
    private val loadSources = CopyOnWriteArrayList<() -> WorkerLoad>()
    val listeners = WorkerListeners(id, control, scope, LISTENER_RELEASE_WAIT)
    val pipes = WorkerPipes()

    init {
        exitWhenMainFails()
        runBlocking { control.send(ControlMessage.Hello(id, environment.token)) }
        scope.launch { control.incoming.collect { onControl(it) } }
        Thread(::exitWhenClosed, "jcluster-worker-channel").start()
        if (environment.standby) {
            rehearsePromotion()
            log.debug { "worker $id: a warm standby, waiting for a slot" } // the logging is set up by then too
        }
    }

    /**
     * A standby hears nothing from the primary until its promotion: the messages of that moment are
     * encoded and decoded once now, so that their code is loaded and has run before a slot waits on it.
     */
    private fun rehearsePromotion() {
        val address = WireAddress("127.0.0.1", 1)
        val messages = listOf(Promote(0), Listen(address, 0), ListenGranted(0, SharingStrategy.SHARED, address), Listening(address, 0))
        messages.forEach { message -> runCatching { controlCodec.decode(controlCodec.encode(message)) } }
    }

    val messages: Flow<Incoming<Any>> = user.incoming

    /** True while this worker is a warm standby that no slot has claimed yet. */
    val isStandby: Boolean get() = !promotion.isCompleted

    /** Returns once this worker is part of the cluster: at once, unless it is a standby not yet promoted. */
    suspend fun promoted() = promotion.await()

    suspend fun listen(address: SocketAddress, options: ListenOptions): ClusterListener {
        if (options.exclusive) promoted() // bound here, without the primary
        // A standby's call is answered once it is promoted; its reply may overtake the Promote itself.
        return listeners.listen(address, options, untilPromoted = isStandby).also { promoted() }
    }

    suspend fun listenDatagram(address: InetSocketAddress): ClusterDatagram {
        promoted()
        return listeners.listenDatagram(address)
    }

    suspend fun send(message: Any, handle: Handle?) {
        promoted()
        user.send(message, handle)
    }

    /** [send] without suspending and without a handle; in a standby, blocks until it is promoted. */
    fun post(message: Any) {
        if (!promotion.isCompleted) runBlocking { promotion.await() }
        user.post(message)
    }

    suspend fun sendControl(message: ControlMessage.ToPrimary) = control.send(message)

    /** Whether the channel to the primary is up. */
    val isConnected: Boolean get() = connection.isOpen

    /**
     * Exits with [code] once the primary was told it ([ControlMessage.Exiting]) and, if [intended],
     * that the exit is asked for (it then counts as after a disconnect); no disconnect hook runs.
     * What was sent before still goes out; a primary that reads nothing is waited for [REPORT_WAIT] at most.
     */
    fun exit(code: Int, intended: Boolean): Nothing {
        exitCode = code // before the channel closes: its thread exits with it too
        val firstToGo = intended && disconnecting.compareAndSet(false, true)
        runBlocking {
            withTimeoutOrNull(REPORT_WAIT) {
                runCatching { if (firstToGo) control.send(ControlMessage.Disconnecting); control.send(ControlMessage.Exiting(code)) }
            }
        }
        connection.close()
        terminate(code)
    }

    fun onDisconnect(hook: suspend () -> Unit) {
        disconnectHooks += hook
    }

    suspend fun ready() {
        promoted()
        if (readySent.compareAndSet(false, true)) control.send(ControlMessage.Ready)
    }

    fun addLivenessCheck(check: suspend () -> Boolean) {
        livenessChecks += check
    }

    fun addLoadSource(source: () -> WorkerLoad) {
        loadSources += source
    }

    /** The sum of the load sources; one that throws counts as nothing. */
    private fun load(): WorkerLoad =
        loadSources.fold(WorkerLoad()) { sum, source -> sum + (runCatching(source).onFailure { log.warn(it) { "a load source failed" } }.getOrNull() ?: WorkerLoad()) }

    /** Counts a served request; the one that reaches `maxRequests` asks the primary to replace this worker. */
    fun requestServed() {
        if (requests.incrementAndGet() == maxRequests) scope.launch { runCatching { control.send(ControlMessage.Recycle(RecycleReason.MAX_REQUESTS)) } }
    }

    /**
     * Answers a heartbeat from a fresh coroutine of the worker's pool, after the liveness checks: a
     * worker whose pool is wedged (every thread in an endless loop, a deadlock, a GC spiral), or
     * whose check fails, stays silent, and the primary kills and replaces it.
     */
    private fun answer(ping: ControlMessage.Ping) = scope.launch {
        val alive = livenessChecks.all { check -> runCatching { check() }.onFailure { log.warn(it) { "a liveness check failed" } }.getOrDefault(false) }
        if (alive) runCatching { load().let { control.send(ControlMessage.Pong(ping.seq, liveHeap(), it.requests, it.openConnections, Vitals.measure())) } }
    }

    /** The heap still in use after each pool's last collection: what a leak grows, unlike `used`. */
    private fun liveHeap(): Long = ManagementFactory.getMemoryPoolMXBeans()
        .filter { it.type == MemoryType.HEAP }
        .sumOf { (it.collectionUsage ?: it.usage)?.used ?: 0L }

    /** Closes servers (the hooks), lets queued messages go out, closes the channel; the process then exits 0. */
    suspend fun disconnect(askedByPrimary: Boolean) {
        if (!disconnecting.compareAndSet(false, true)) return
        if (!askedByPrimary) runCatching { control.send(ControlMessage.Disconnecting) }
        disconnectHooks.forEach { hook -> runCatching { hook() }.onFailure { log.warn(it) { "a disconnect hook failed" } } }
        connection.close()
    }

    private suspend fun onControl(incoming: Incoming<ControlMessage>) {
        // The one place the worker narrows the lane's type: what only workers send is malformed here.
        val message = incoming.message as? ControlMessage.ToWorker ?: run {
            log.warn { "the primary sent ${incoming.message::class.simpleName}, which only workers send; ignored" }
            incoming.handles.forEach { it.close() }
            if (incoming.expectsReply) incoming.replyError("worker $id does not take ${incoming.message::class.simpleName}")
            return
        }
        when (message) {
            // In its own coroutine: hand-offs must still be answered while the servers drain.
            ControlMessage.Disconnect -> scope.launch { disconnect(askedByPrimary = true) }
            is ControlMessage.Handoff -> listeners.handoff(incoming, message)
            is ControlMessage.Ping -> answer(message)
            is ControlMessage.Promote -> promote(message.slot)
            is ControlMessage.PipeOpened -> pipes.arrived(message.name, incoming.handle)
            // Replies to calls; they reach the caller, never this collector.
            is ControlMessage.ListenGranted, is ControlMessage.ListenFailed, ControlMessage.Unlistened ->
                log.warn { "the primary sent ${message::class.simpleName} outside a call; ignored" }
        }
    }

    private fun promote(slot: Int) {
        if (promotion.isCompleted) return log.warn { "worker $id was promoted to slot $slot, but it is not a standby; ignored" }
        assignedSlot = slot
        promotion.complete(Unit)
        log.debug { "worker $id: promoted from standby to slot $slot" }
    }

    /**
     * A worker whose `main` throws exits with 1, as a JVM with no other thread would: the channel's
     * thread would otherwise keep a worker that never serves alive until its boot timeout. The error
     * first goes where the JVM would send it: the app's default handler if it set one (read when the
     * error comes, so one set later counts), else a stack trace on stderr. A `send` that found the
     * channel closed by a disconnect is no failure: the worker was asked to go, and goes with 0.
     */
    private fun exitWhenMainFails() {
        val main = Thread.currentThread().takeIf { it.name == "main" } ?: return
        main.setUncaughtExceptionHandler { thread, error ->
            if (disconnecting.get() && generateSequence(error) { it.cause }.any { it is IpcClosedException }) exitWhenClosed()
            runCatching { thread.threadGroup.uncaughtException(thread, error) }
            System.err.flush()
            exitProcess(EXIT_MAIN_FAILED)
        }
    }

    private fun exitWhenClosed() {
        val cause = runBlocking { connection.awaitClosed() }
        val code = exitCode ?: if (disconnecting.get()) 0 else EXIT_PRIMARY_GONE
        if (exitCode == null && code != 0) log.warn { "worker $id: the channel to the primary closed (${cause?.message ?: "primary gone"}); exiting" }
        terminate(code)
    }

    private fun terminate(code: Int): Nothing {
        // Shutdown hooks get a moment; a hook that hangs must not keep an orphan alive.
        Thread { Thread.sleep(HALT_AFTER_MILLIS); Runtime.getRuntime().halt(code) }.apply { isDaemon = true }.start()
        exitProcess(code)
    }

    companion object {
        /** The exit code of a worker whose primary went away without disconnecting it. */
        const val EXIT_PRIMARY_GONE = 70

        /** The exit code of a worker whose `main` threw. */
        const val EXIT_MAIN_FAILED = 1
        private const val HALT_AFTER_MILLIS = 500L
        private val LISTENER_RELEASE_WAIT = 5.seconds
        private val REPORT_WAIT = 5.seconds
    }
}
