package io.jcluster.internal

import java.util.Locale

/**
 * The JVM flags that give a worker its share of the memory, as [ProcessorShare] gives it its share
 * of the processors.
 *
 * A JVM sizes its heap for the whole machine, or the whole container: at most a quarter of its memory
 * (`MaxRAMPercentage=25`), starting at 1/64 of it (`InitialRAMPercentage=1.5625`), half of it where
 * memory is small (`MinRAMPercentage=50`). Every worker and every warm standby did so as if it were
 * alone: on 24 GB, each started with a 384 MB heap that G1 filled before collecting, and a worker
 * of the main job held ~500 MB after 30 s of load, against Node's 60.
 *
 * A worker that counts `processorsPerWorker` of the machine's P processors is one of
 * P / `processorsPerWorker` workers; with the warm standbys, that many JVMs split the JVM's default
 * percentages, so all of them together are sized as one JVM would be. Percentages, not sizes: the
 * JVM applies them to the container's memory limit when it runs in one (its own container
 * detection), so the share holds in a container too. Any heap option in the worker's JVM options
 * (`-Xmx`, `-Xms`, `-XX:MaxRAMPercentage`, …) means the user chose: nothing is added.
 */
internal object MemoryShare {
    private val HEAP_OPTIONS = listOf(
        "-Xmx", "-Xms", "-XX:MaxHeapSize=", "-XX:InitialHeapSize=", "-XX:MinHeapSize=", "-XX:MaxRAM=",
        "-XX:MaxRAMPercentage=", "-XX:MinRAMPercentage=", "-XX:InitialRAMPercentage=",
        "-XX:MaxRAMFraction=", "-XX:MinRAMFraction=", "-XX:InitialRAMFraction=",
    )

    /** The JVM's defaults (HotSpot, JDK 10 and later): one JVM's share of the memory. */
    private val DEFAULT_PERCENTAGES = listOf("MaxRAMPercentage" to 25.0, "MinRAMPercentage" to 50.0, "InitialRAMPercentage" to 1.5625)

    /**
     * The flags for a worker counting [processorsPerWorker] of [processors], with [standbys] warm
     * standbys besides the workers; none if [jvmArgs] set a heap option, or if the worker is alone.
     */
    fun flags(processorsPerWorker: Int, standbys: Int, jvmArgs: List<String>, processors: Int = Runtime.getRuntime().availableProcessors()): List<String> {
        if (jvmArgs.any { arg -> HEAP_OPTIONS.any(arg::startsWith) }) return emptyList()
        val jvms = (processors + processorsPerWorker - 1) / processorsPerWorker + standbys
        if (jvms <= 1) return emptyList()
        return DEFAULT_PERCENTAGES.map { (flag, percent) -> "-XX:$flag=${format(percent / jvms)}" }
    }

    /** A percentage as the JVM parses it: a dot, whatever the locale, at most four decimals. */
    private fun format(percent: Double): String = String.format(Locale.ROOT, "%.4f", percent).trimEnd('0').trimEnd('.')
}
