package io.jcluster

import io.jcluster.internal.ControlServer
import io.jcluster.internal.FastStart
import io.jcluster.internal.JvmProcessLauncher
import io.jcluster.internal.PrimaryLoop
import io.jcluster.internal.ProcessLauncher
import io.jcluster.internal.SharedArchiveFastStart
import io.jcluster.internal.SocketDirectories
import io.jcluster.internal.WorkerCommands
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import java.util.concurrent.TimeUnit

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
    fastStart: FastStart?,
) : AutoCloseable {
    /** A primary that starts real worker JVMs with [settings]. */
    @JvmOverloads
    public constructor(settings: ClusterSettings = ClusterSettings()) :
        this(settings, JvmProcessLauncher, CoroutineScope(SupervisorJob() + Dispatchers.Default), SharedArchiveFastStart(SharedArchiveFastStart.defaultCacheRoot()))

    @Volatile private var controlServer: ControlServer? = null
    internal val loop = PrimaryLoop(settings, launcher, scope, WorkerCommands({ controlServer().path }, fastStart))
    private val shutdownHook = Thread(::killWorkers, "jcluster-primary-shutdown")

    init {
        if (settings.fastStart) fastStart?.prepare(settings)
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
        controlServer() // bound before the first worker looks for it
        return loop.fork(environment)
    }

    /** Changes the settings for later forks (Node's `setupPrimary`); emits [Setup]. Returns the new settings. */
    public suspend fun setup(change: (ClusterSettings) -> ClusterSettings): ClusterSettings = loop.setup(change)

    /** Disconnects every worker and returns once all are gone (at once if there are none). */
    public suspend fun disconnect(): Unit = loop.disconnectAll()

    /** Kills every worker (TERM, then KILL after the kill timeout) and releases the control socket. */
    override fun close() {
        killWorkers()
        runCatching { Runtime.getRuntime().removeShutdownHook(shutdownHook) } // fails while the JVM shuts down: fine
        scope.cancel()
    }

    private fun killWorkers() {
        loop.closing = true // a worker still being launched now kills itself: see PrimaryLoop.launch
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
            runCatching { server.path.parent.toFile().deleteRecursively() }
        }
    }

    /** The control socket, bound on first use in a fresh 0700 directory. */
    private fun controlServer(): ControlServer = controlServer ?: synchronized(this) {
        controlServer ?: ControlServer(SocketDirectories.create().resolve("control.sock"), loop, scope).also { controlServer = it }
    }
}
