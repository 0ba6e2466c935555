package io.jcluster.internal

import io.jcluster.ExitReason
import io.jcluster.Supervision
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds

/**
 * The JVM-aware checks of [Supervision] on one worker's heartbeats: deadlocked threads
 * ([Supervision.replaceDeadlocked]), the share of its time its collector took over the last
 * [Supervision.healthWindow] ([Supervision.maxGcShare]), and its live heap against its maximum at
 * every heartbeat of that window ([Supervision.maxLiveHeapShare]). It keeps the heartbeats of the
 * window, timed by the worker's own clock, and judges from them alone.
 */
internal class Health {
    /** Why a worker should be replaced: the [reason] its exit will carry, and [why] in words. */
    data class Unwell(val reason: ExitReason, val why: String)

    private data class Sample(val uptimeMillis: Long, val gcMillis: Long, val liveHeap: Long, val maxHeap: Long, val deadlocked: Int)

    private val samples = ArrayDeque<Sample>()

    /** Keeps [pong]'s figures, and of the older ones the newest that is at least [window] old and those after it. */
    fun record(pong: ControlMessage.Pong, window: Duration) {
        val vitals = pong.vitals
        if (vitals.uptimeMillis <= 0) return // a worker that sends no vitals
        samples.addLast(Sample(vitals.uptimeMillis, vitals.gcMillis, pong.liveHeap, vitals.maxHeap, vitals.deadlockedThreads))
        val start = vitals.uptimeMillis - window.inWholeMilliseconds
        while (samples.size > 1 && samples[1].uptimeMillis <= start) samples.removeFirst()
    }

    /** Why [supervision] wants this worker replaced, or null. */
    fun verdict(supervision: Supervision): Unwell? {
        val last = samples.lastOrNull() ?: return null
        if (supervision.replaceDeadlocked && last.deadlocked > 0) return Unwell(ExitReason.DEADLOCK, "${last.deadlocked} of its threads are deadlocked")
        val first = samples.first()
        val span = last.uptimeMillis - first.uptimeMillis
        if (span < supervision.healthWindow.inWholeMilliseconds) return null // the window is not covered yet
        val took = span.milliseconds
        supervision.maxGcShare?.let { max ->
            val share = (last.gcMillis - first.gcMillis).toDouble() / span
            if (share > max) return Unwell(ExitReason.GC_OVERHEAD, "its collector took ${percent(share)} of the last $took (maxGcShare = $max)")
        }
        supervision.maxLiveHeapShare?.let { max ->
            if (samples.all { it.maxHeap > 0 && it.liveHeap > max * it.maxHeap }) {
                return Unwell(ExitReason.HEAP_EXHAUSTED, "its live heap stayed above ${percent(max)} of its maximum (${last.maxHeap} bytes) for $took (maxLiveHeapShare = $max)")
            }
        }
        return null
    }

    private fun percent(share: Double) = "${Math.round(share * 100)} %"
}
