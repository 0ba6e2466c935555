package io.jcluster

import io.jcluster.internal.ControlServer
import io.jcluster.internal.FastStart
import io.jcluster.internal.JvmProcessLauncher
import io.jcluster.internal.LifecycleLog
import io.jcluster.internal.PrimaryLoop
import io.jcluster.internal.ProcessLauncher
import io.jcluster.internal.SharedArchiveFastStart
import io.jcluster.internal.SocketDirectories
import io.jcluster.internal.UserSwitch
import io.jcluster.internal.WorkerCommands
import io.jcluster.ipc.Ipc
import io.jcluster.ipc.IpcServer
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean
import kotlin.time.Duration

/**
 * The primary side of a cluster: forks workers and watches them (Node's `cluster` in the primary).
 * [Cluster] holds the process's default one; create more only in tests or tools.
 *
 * [close] (also run when the JVM exits) kills every worker this primary started.
 */
public class Primary internal constructor(
    settings: ClusterSettings,
    launcher: ProcessLauncher,
    private val scope: CoroutineScope,
    private val fastStart: FastStart?,
    private val helloTimeout: Duration = ControlServer.HELLO_TIMEOUT,
) : AutoCloseable {
    /** A primary that starts real worker JVMs with [settings]. */
    @JvmOverloads
    public constructor(settings: ClusterSettings = ClusterSettings()) :
        this(settings, JvmProcessLauncher, CoroutineScope(SupervisorJob() + Dispatchers.Default), SharedArchiveFastStart(SharedArchiveFastStart.defaultCacheRoot()))

    init {
        // Here, in one line, not at the first worker's listen as a reply that never comes.
        Ipc.missingJvmFlag()?.let { throw IllegalStateException(it) }
    }

    @Volatile private var controlServer: ControlServer? = null
    internal val loop = PrimaryLoop(settings, launcher, scope, WorkerCommands({ controlServer().path }, fastStart))
    private val shutdownHook = Thread(::killWorkers, "jcluster-primary-shutdown")

    init {
        // The lifecycle lines, by default: subscribed before the loop runs, so that none is missed.
        val lifecycle = LifecycleLog()
        scope.launch(Dispatchers.Unconfined, start = CoroutineStart.UNDISPATCHED) { loop.events.collect(lifecycle::on) }
        loop.onResized = lifecycle::scaled
        loop.start()
        Runtime.getRuntime().addShutdownHook(shutdownHook)
    }

    /** The settings later forks use. */
    public val settings: ClusterSettings get() = loop.settings

    /** Every event of every worker, and [Setup]; see [ClusterEvent] for the order guarantees. */
    public val events: SharedFlow<ClusterEvent> get() = loop.events

    /** The workers by id, until each has both disconnected and exited. */
    public val workers: StateFlow<Map<Int, Worker>> get() = loop.workers

    /**
     * Starts a worker with the current settings plus [environment], and returns it at once (state
     * [WorkerState.Forked]); its events follow on [events]. To see them all, start collecting first.
     */
    @JvmOverloads
    public fun fork(environment: Map<String, String> = emptyMap()): Worker {
        prepareFastStart()
        controlServer() // bound before the first worker looks for it
        return loop.fork(environment)
    }

    /**
     * What supervision is doing: [ClusterState.Running] once [spawn] asked for workers,
     * [ClusterState.Failed] once the restart budget ran out or workers cannot boot.
     */
    public val state: StateFlow<ClusterState> get() = loop.state

    /**
     * Supervised workers: [count] more (or, if negative, fewer: retired gracefully in
     * [Supervision.cullOrder]). A supervised worker that dies is replaced, and [reload] replaces them
     * all; see [Supervision]. Each has a stable [Worker.slot]. Returns at once; watch [events].
     */
    public fun spawn(count: Int) {
        require(count != 0) { "spawn(0) does nothing: pass how many workers to add (or, negative, to retire)" }
        prepareFastStart()
        controlServer()
        loop.spawn(count)
    }

    /** Why new workers cannot be admitted now (their control socket fails to accept), or null while they can: `/healthz` reads it. */
    public val admissionProblem: String? get() = controlServer?.admissionProblem

    /** One ready supervised worker per slot (recluster's `activeWorkers()`); [workers] has all of them, booting and retiring ones too. */
    public fun activeWorkers(): List<Worker> = loop.activeWorkers()

    /**
     * Replaces every supervised worker without dropping a request: for each slot (up to
     * [Supervision.reloadParallelism] at once) forks a replacement, waits until it is ready, then
     * disconnects the old worker. Returns once every old worker has exited. A reload asked for while
     * one runs is done once more after it, for all who asked (a burst of `HUP`s makes at most two).
     *
     * @throws ReloadFailedException if a replacement does not become ready: the reload stops there and
     *   the workers not yet replaced keep serving.
     */
    @JvmSynthetic // Java: JavaPrimary.reload()
    public suspend fun reload(): ReloadResult = loop.reload()

    /** Changes the settings for later forks (Node's `setupPrimary`); emits [Setup]. Returns the new settings. */
    @JvmSynthetic // Java: JavaPrimary.setup()
    public suspend fun setup(change: (ClusterSettings) -> ClusterSettings): ClusterSettings = loop.setup(change)

    /** Disconnects every worker and returns once all are gone (at once if there are none). */
    @JvmSynthetic // Java: JavaPrimary.disconnect()
    public suspend fun disconnect(): Unit = loop.disconnectAll()

    /** Stops supervision and sends [signal] to every worker; returns once all are gone. */
    @JvmSynthetic // Java: JavaPrimary.killAll()
    public suspend fun killAll(signal: Signal = Signal.TERM): Unit = loop.killAll(signal)

    /** Kills every worker (TERM, then KILL after the kill timeout) and releases the control socket. */
    override fun close() {
        killWorkers()
        runCatching { Runtime.getRuntime().removeShutdownHook(shutdownHook) } // fails while the JVM shuts down: fine
        scope.cancel()
    }

    private fun killWorkers() {
        loop.closing = true // a worker still being launched now kills itself: see PrimaryLoop.launch
        loop.beginKillAll(Signal.TERM) // no respawn of what this kills; and the loop may be wedged: the kills below do not wait for it
        val live = loop.liveProcesses()
        live.forEach { it.destroy() }
        val deadline = System.nanoTime() + loop.settings.killTimeout.inWholeNanoseconds
        live.forEach { process ->
            val left = deadline - System.nanoTime()
            if (left <= 0 || runCatching { process.onExit().get(left, TimeUnit.NANOSECONDS) }.isFailure) process.destroyForcibly()
        }
        loop.closePorts()
        controlServer?.let { server ->
            runCatching { server.close() }
            runCatching { if (ownDirectory) server.path.parent.toFile().deleteRecursively() else Files.deleteIfExists(server.path) }
        }
    }

    private val fastStartPrepared = AtomicBoolean()

    /**
     * Starts the fast start's slow preparation (it may train an archive in a JVM of its own) at the
     * first fork, not before: a primary that fails first (a port it cannot bind) starts nothing.
     */
    private fun prepareFastStart() {
        if (settings.fastStart && fastStartPrepared.compareAndSet(false, true)) fastStart?.prepare(settings)
    }

    /** True when the control socket is in a directory this primary created (and so removes). */
    private val ownDirectory: Boolean = settings.controlSocket == null

    /**
     * The control socket, bound on first use: where the settings say, or in a fresh 0700 directory.
     * When workers run as another user, the directory and the socket are handed to that user.
     */
    private fun controlServer(): ControlServer = controlServer ?: synchronized(this) {
        controlServer ?: run {
            val path = loop.settings.controlSocket ?: SocketDirectories.create().resolve("control.sock")
            val workerUid = loop.settings.user?.let { UserSwitch.uidOf(it) } ?: IpcServer.currentUid
            ControlServer(path, loop, scope, workerUid, helloTimeout).also { server ->
                loop.settings.user?.let { user -> SocketDirectories.handOver(server.paths, ownDirectory, user, loop.settings.group) }
                controlServer = server
            }
        }
    }
}
