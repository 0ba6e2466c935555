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
 * detection), so the share holds in a container too. The user's own heap options win, limit by
 * limit: an option that sizes the largest heap (`-Xmx`, `-XX:MaxRAMPercentage`, …) leaves the
 * share only the starting one, and the other way round (`-Xms16m` keeps a small starting heap and
 * still gets the share's ceiling); `-XX:MaxRAM` sizes both.
 */
internal object MemoryShare {
    private const val MAX_RAM = "-XX:MaxRAM="

    /** The options that size the largest heap (the `Min` percentage is the largest heap where memory is small). */
    private val MAX_OPTIONS = listOf(
        "-Xmx", "-XX:MaxHeapSize=", "-XX:MaxRAMPercentage=", "-XX:MinRAMPercentage=", "-XX:MaxRAMFraction=", "-XX:MinRAMFraction=", MAX_RAM,
    )

    /** The options that size the starting heap. */
    private val INITIAL_OPTIONS = listOf("-Xms", "-XX:InitialHeapSize=", "-XX:MinHeapSize=", "-XX:InitialRAMPercentage=", "-XX:InitialRAMFraction=", MAX_RAM)

    /** The JVM's defaults (HotSpot, JDK 10 and later): one JVM's share of the memory, with the options that take each one's place. */
    private val DEFAULT_PERCENTAGES = listOf(
        Triple("MaxRAMPercentage", 25.0, MAX_OPTIONS),
        Triple("MinRAMPercentage", 50.0, MAX_OPTIONS),
        Triple("InitialRAMPercentage", 1.5625, INITIAL_OPTIONS),
    )

    /**
     * The flags for a worker counting [processorsPerWorker] of [processors], with [standbys] warm
     * standbys besides the workers; none for a limit [jvmArgs] size themselves, none at all if the worker is alone.
     */
    fun flags(processorsPerWorker: Int, standbys: Int, jvmArgs: List<String>, processors: Int = Runtime.getRuntime().availableProcessors()): List<String> {
        val jvms = (processors + processorsPerWorker - 1) / processorsPerWorker + standbys
        if (jvms <= 1) return emptyList()
        return DEFAULT_PERCENTAGES
            .filter { (_, _, options) -> jvmArgs.none { arg -> options.any(arg::startsWith) } }
            .map { (flag, percent, _) -> "-XX:$flag=${format(percent / jvms)}" }
    }

    /** A percentage as the JVM parses it: a dot, whatever the locale, at most four decimals. */
    private fun format(percent: Double): String = String.format(Locale.ROOT, "%.4f", percent).trimEnd('0').trimEnd('.')
}
