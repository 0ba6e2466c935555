package io.jcluster.bench

import java.io.File

/**
 * How much CPU processes outside this bench (not this JVM nor its descendants: servers, workers,
 * wrk) used between [start] and [coresUsed], from /proc (Linux). On a 2-core machine a build running
 * next to the bench halves the figures; this says whether one did.
 */
class OtherLoad private constructor(private val startTicks: Map<Long, Long>, private val startNanos: Long) {
    /** CPU time of other processes since [start], in cores (1.0 = one core busy all the time). */
    fun coresUsed(): Double {
        val seconds = (System.nanoTime() - startNanos) / 1e9
        val used = ticksOfOthers().entries.sumOf { (pid, ticks) -> ticks - (startTicks[pid] ?: 0) }.coerceAtLeast(0)
        return used / TICKS_PER_SECOND / seconds
    }

    companion object {
        /** USER_HZ: 100 on every Linux this bench runs on. */
        private const val TICKS_PER_SECOND = 100.0

        fun start(): OtherLoad = OtherLoad(ticksOfOthers(), System.nanoTime())

        /**
         * Waits until other processes used under [quietCores] over a second, for at most [maxSeconds];
         * returns how long it waited (a build next to the bench mostly ends within a minute or two).
         */
        fun awaitQuiet(maxSeconds: Int, quietCores: Double = 0.1): Int {
            val started = System.nanoTime()
            repeat(maxSeconds) {
                val load = start()
                Thread.sleep(1_000)
                if (load.coresUsed() < quietCores) return ((System.nanoTime() - started) / 1_000_000_000).toInt()
            }
            return maxSeconds
        }

        private fun ticksOfOthers(): Map<Long, Long> {
            val ours = ProcessHandle.current().descendants().map { it.pid() }.toList().toSet() + ProcessHandle.current().pid()
            return File("/proc").listFiles().orEmpty()
                .filter { dir -> dir.name.all(Char::isDigit) && dir.name.toLong() !in ours }
                .mapNotNull { dir -> ProcStatus.cpuTicks(dir.name.toLong())?.let { dir.name.toLong() to it } }
                .toMap()
        }
    }
}
