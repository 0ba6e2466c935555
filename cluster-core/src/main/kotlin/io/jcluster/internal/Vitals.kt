package io.jcluster.internal

import kotlinx.serialization.Serializable
import java.lang.management.ManagementFactory

/**
 * What a worker's JVM says of its health at a heartbeat (in its [ControlMessage.Pong]), for the
 * primary's JVM-aware checks ([Health]): its [maxHeap] in bytes, how many threads are
 * [deadlockedThreads], and its collectors' total pause time [gcMillis] at [uptimeMillis] of its own
 * clock (so that the share of time spent collecting does not depend on when the answer arrives).
 * A worker of an older version sends none: all zero, and no check applies.
 */
@Serializable
internal data class Vitals(val maxHeap: Long = 0, val deadlockedThreads: Int = 0, val gcMillis: Long = 0, val uptimeMillis: Long = 0) {
    companion object {
        /** This JVM's vitals now; a figure the JVM cannot give reads as zero. */
        fun measure(): Vitals = Vitals(
            maxHeap = Runtime.getRuntime().maxMemory().takeIf { it != Long.MAX_VALUE } ?: 0,
            deadlockedThreads = deadlocked(),
            gcMillis = ManagementFactory.getGarbageCollectorMXBeans().sumOf { it.collectionTime.coerceAtLeast(0) },
            uptimeMillis = ManagementFactory.getRuntimeMXBean().uptime,
        )

        /** Threads in a cycle waiting for each other's monitors or `java.util.concurrent` locks: they never come back. */
        private fun deadlocked(): Int = runCatching {
            val threads = ManagementFactory.getThreadMXBean()
            (if (threads.isSynchronizerUsageSupported) threads.findDeadlockedThreads() else threads.findMonitorDeadlockedThreads())?.size ?: 0
        }.getOrDefault(0)
    }
}
