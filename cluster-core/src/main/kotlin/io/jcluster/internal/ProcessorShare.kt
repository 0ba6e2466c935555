package io.jcluster.internal

import java.lang.management.ManagementFactory

/**
 * The JVM flags that give a worker its share of the processors ([io.jcluster.ClusterSettings.processorsPerWorker]).
 *
 * `-XX:ActiveProcessorCount` is the count everything in the JVM sizes itself by: GC and JIT threads,
 * the common pool, `Dispatchers.Default`, Netty's event loops, Jetty's selectors. The JVM also picks
 * its collector by it (the serial collector below two processors), so unless the worker's own flags
 * choose a collector, the worker keeps the primary's: a share of one processor must not quietly
 * trade G1's short pauses for serial full collections.
 */
internal object ProcessorShare {
    private const val FLAG = "-XX:ActiveProcessorCount="
    private val CHOOSES_COLLECTOR = Regex("-XX:\\+Use\\w+GC")

    /** The flags for [processors] per worker, none if [jvmArgs] set the count themselves. */
    fun flags(processors: Int, jvmArgs: List<String>): List<String> {
        if (jvmArgs.any { it.startsWith(FLAG) }) return emptyList()
        val collector = primaryCollector.takeIf { jvmArgs.none(CHOOSES_COLLECTOR::matches) }
        return listOfNotNull("$FLAG$processors", collector)
    }

    /** The flag that selects the collector this JVM runs, from its collectors' names; null if unknown. */
    val primaryCollector: String? by lazy {
        val names = ManagementFactory.getGarbageCollectorMXBeans().map { it.name }
        fun any(prefix: String) = names.any { it.startsWith(prefix) }
        when {
            any("G1 ") -> "-XX:+UseG1GC"
            any("PS ") -> "-XX:+UseParallelGC"
            any("ZGC") -> "-XX:+UseZGC"
            any("Shenandoah") -> "-XX:+UseShenandoahGC"
            any("Copy") || any("MarkSweepCompact") -> "-XX:+UseSerialGC"
            else -> null
        }
    }
}
