package io.jcluster.internal

import io.github.oshai.kotlinlogging.KLogger
import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterEvent
import io.jcluster.ClusterFailed
import io.jcluster.ExitReason
import io.jcluster.ReloadFinished
import io.jcluster.ReloadStarted
import io.jcluster.RespawnScheduled
import io.jcluster.WorkerEvent
import kotlin.time.TimeMark
import kotlin.time.TimeSource

/**
 * The primary's log of what matters in a cluster's life, one line per change, on the logger
 * `io.jcluster.cluster`, with no plugin: a worker forked, listening, died (or exited when asked), a
 * respawn scheduled, a reload started and finished, a change in the number of workers, the cluster
 * failed. Fed from the primary's events ([on]) and its resize hook ([scaled]); `Plugins.debug()`
 * logs every step besides. A crash is a WARN and a failed cluster an ERROR; the rest is INFO.
 */
internal class LifecycleLog(private val log: KLogger = KotlinLogging.logger(LOGGER)) {
    @Volatile private var reloadStarted: TimeMark? = null

    /** Logs [event]'s line, if it has one. Called in the order of the events, from one collector. */
    fun on(event: ClusterEvent) {
        val line = lineFor(event) ?: return
        when {
            event is ClusterFailed -> log.error { line }
            event is WorkerEvent.Exited && !event.exitedAfterDisconnect -> log.warn { line }
            else -> log.info { line }
        }
    }

    /** The wanted number of workers changed. */
    fun scaled(from: Int, to: Int) {
        log.info { "scaled: $from -> $to workers" }
    }

    /** [event]'s line, or null for an event that is not a lifecycle change (messages, `Online`, `Ready`…). */
    fun lineFor(event: ClusterEvent): String? = when (event) {
        is WorkerEvent.Forked -> "worker ${event.worker.id} forked: pid ${event.worker.pid ?: "unknown"}" + (event.worker.slot?.let { ", slot $it" } ?: "")
        is WorkerEvent.Listening -> "worker ${event.worker.id} listening on ${SocketBinding.describe(event.address)}"
        is WorkerEvent.Exited ->
            "worker ${event.worker.id} ${if (event.exitedAfterDisconnect) "exited" else "died"}: ${describe(event.reason)}, ${event.exit}"
        is RespawnScheduled -> "slot ${event.slot}: respawn in ${event.delay.inWholeMilliseconds} ms (restart ${event.restarts})"
        is ReloadStarted -> "reload started: ${event.workers} workers".also { reloadStarted = TimeSource.Monotonic.markNow() }
        is ReloadFinished -> finished(event)
        is ClusterFailed -> "cluster failed: ${event.reason}"
        else -> null
    }

    private fun finished(event: ReloadFinished): String {
        val took = reloadStarted?.elapsedNow()?.inWholeMilliseconds?.let { " in $it ms" } ?: ""
        reloadStarted = null
        return if (event.failure == null) "reload finished: ${event.replaced} replaced$took"
        else "reload failed: ${event.failure} (${event.replaced} replaced$took)"
    }

    private fun describe(reason: ExitReason) = reason.name.lowercase().replace('_', ' ')

    companion object {
        /** The logger's name: one to raise or lower in a logging configuration. */
        const val LOGGER = "io.jcluster.cluster"
    }
}
