package io.jcluster

import java.nio.file.Path
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/** When a supervised worker counts as ready: serving, so that a reload may retire the worker it replaces. */
public enum class ReadyWhen {
    /** Once it has connected to the primary (its hello: at, or a little after, its `Online`). */
    STARTED,

    /** Once its first server listens. The default. */
    LISTENING,

    /** Once it calls `Cluster.worker.ready()`. */
    READY,
}

/** Which workers go first when `spawn(-n)` scales down. */
public enum class CullOrder {
    /** The most recently started first (PM2's `scale`). The default. */
    YOUNGEST,

    /** The longest-running first (gunicorn's `TTOU`). */
    OLDEST,
}

/**
 * How the primary keeps the workers it supervises (those of `Primary.spawn`, not of `fork`) alive and
 * fresh. Every policy has a default that users of PM2, gunicorn or recluster would expect; each
 * property below says its own, and docs/supervision.md puts them side by side.
 *
 * @property respawnDelay the minimum time between a worker's unexpected death and its replacement
 *   (recluster's `respawn`); each further death in a row multiplies it by [backoffFactor], up to
 *   [maxRespawnDelay] (PM2's `exp_backoff_restart_delay`).
 * @property healthyUptime a worker that served (was ready) this long before it died resets the backoff
 *   of its slot and is replaced at once, without [respawnDelay], so that a worker killed after serving
 *   comes back at once (PM2's `min_uptime`); workers that die while booting, or soon after, back off.
 *   Crash loops of workers that serve a while are the restart budget's to stop.
 * @property maxRestarts the restart budget: more unexpected deaths than this within [restartWindow]
 *   (Erlang's intensity and period) and the cluster stops respawning and goes [ClusterState.Failed].
 * @property maxBootFailures this many workers in a row that die before they are ready, or any exit
 *   with [CANNOT_BOOT], and the cluster goes [ClusterState.Failed] with the worker's stderr in the reason.
 * @property readyWhen when a worker counts as ready.
 * @property bootTimeout a worker not ready this long after its fork is killed (and counts as a boot failure).
 * @property heartbeatInterval how often the primary pings each ready worker.
 * @property heartbeatTimeout a worker that has not answered a ping for this long is hung: the primary
 *   asks it for a thread dump (`SIGQUIT`), kills it and replaces it. Null: no heartbeat.
 * @property maxRequests recycle a worker after it served this many requests (plus up to
 *   [maxRequestsJitter] more, drawn per worker so that they do not all recycle at once, as in
 *   gunicorn); 0: never. The HTTP adapters count requests.
 * @property maxHeap recycle a worker whose live heap (after its last collection) exceeds this many bytes; null: never.
 * @property maxRss recycle a worker whose resident set exceeds this many bytes (PM2's `max_memory_restart`); null: never.
 * @property reloadParallelism how many JVMs a reload boots at once, the standbys it starts included; a
 *   slot it gives an online standby boots none.
 * @property cullOrder which workers `spawn(-n)` retires first.
 * @property standby how many warm standby workers to keep: JVMs started ahead, connected and held at
 *   their first `listen`, `ready()`, `send` or `slot` (see `CurrentWorker`), that take the place of a
 *   worker that dies or is recycled without the JVM's start on the way. A reload, or new settings,
 *   replaces them too (they run the old code), unless [reloadTakesStandbys]. Each costs an idle
 *   JVM's memory; 0, the default, keeps none.
 * @property maxWorkers the most workers the cluster keeps: a `spawn` or `scale` beyond it is refused
 *   with a message, so that a typo (`scale 100000`) is not a fork bomb. By default 16 per processor,
 *   at least 64.
 * @property maxBooting the most workers that boot at once while the cluster fills its slots (a
 *   scale-up, respawns); the others wait for a boot to end. Replacements (reload, recycling) count
 *   [reloadParallelism] instead. By default 2 per processor, at least 8.
 * @property exitOnOutOfMemory start workers with `-XX:+ExitOnOutOfMemoryError` (unless [ClusterSettings.jvmArgs]
 *   already choose what an `OutOfMemoryError` does): a worker out of memory exits at once (code 3) and
 *   is replaced, its `Exited` reason [ExitReason.OUT_OF_MEMORY], instead of serving on with a full heap
 *   and a thread that died somewhere. On by default: after an `OutOfMemoryError` a JVM's state is
 *   anybody's guess, and a fresh worker is the one safe answer.
 * @property heapDumpDirectory a worker out of memory writes a heap dump (`java_pid<pid>.hprof`, as large
 *   as its heap) to this directory first (`-XX:+HeapDumpOnOutOfMemoryError`); null, the default: none.
 * @property replaceDeadlocked a worker with deadlocked threads (`ThreadMXBean.findDeadlockedThreads`, at
 *   each heartbeat) prints a thread dump (`SIGQUIT`) and is replaced gracefully ([ExitReason.DEADLOCK]).
 *   On by default: deadlocked threads never come back, and whatever waits on their locks piles up.
 * @property maxGcShare a worker whose collector took more than this share of its time over the last
 *   [healthWindow] prints a thread dump and is replaced gracefully ([ExitReason.GC_OVERHEAD]); null: never.
 *   By default 0.9: no healthy server spends 90 % of a minute collecting (HotSpot's own overhead limit
 *   is 98 %), while one that does serves next to nothing and is near an `OutOfMemoryError`.
 * @property maxLiveHeapShare a worker whose heap after collection (its live heap) stayed above this share of
 *   its maximum heap at every heartbeat of the last [healthWindow] prints a thread dump and is replaced
 *   gracefully ([ExitReason.HEAP_EXHAUSTED]); null, the default: never, because a heap kept full by a
 *   cache sized to it is healthy (set 0.9 or so where the live data should be far below the maximum).
 * @property healthWindow the window over which [maxGcShare] and [maxLiveHeapShare] judge: long enough
 *   that a burst (a warm-up, a full collection) does not count. 60 seconds by default. It is measured
 *   between heartbeats, so it spans at least one [heartbeatInterval].
 * @property reloadTakesStandbys a reload promotes the warm standbys that run the current build (the
 *   same JDK, JVM options, and classpath files by size and time: none rebuilt since they started)
 *   instead of retiring them: each slot they serve is replaced in tens of milliseconds, with no JVM
 *   start, and only the remaining slots fork. Standbys of another build are retired as always. Off
 *   by default, because a standby has already run `main` up to its first `listen`: turn it on only
 *   when the workers read nothing at that point that a reload is meant to pick up and the build does
 *   not hold (a configuration file outside the classpath, a secret, the time). Give [standby] as
 *   many workers as you want reloaded without a start.
 */
public data class Supervision(
    val respawnDelay: Duration = 100.milliseconds,
    val backoffFactor: Double = 2.0,
    val maxRespawnDelay: Duration = 15.seconds,
    val healthyUptime: Duration = 1.seconds,
    val maxRestarts: Int = 10,
    val restartWindow: Duration = 60.seconds,
    val maxBootFailures: Int = 3,
    val readyWhen: ReadyWhen = ReadyWhen.LISTENING,
    val bootTimeout: Duration = 60.seconds,
    val heartbeatInterval: Duration = 5.seconds,
    val heartbeatTimeout: Duration? = 30.seconds,
    val maxRequests: Long = 0,
    val maxRequestsJitter: Long = 0,
    val maxHeap: Long? = null,
    val maxRss: Long? = null,
    val reloadParallelism: Int = 1,
    val cullOrder: CullOrder = CullOrder.YOUNGEST,
    val standby: Int = 0,
    val maxWorkers: Int = DEFAULT_MAX_WORKERS,
    val maxBooting: Int = DEFAULT_MAX_BOOTING,
    val exitOnOutOfMemory: Boolean = true,
    val heapDumpDirectory: Path? = null,
    val replaceDeadlocked: Boolean = true,
    val maxGcShare: Double? = 0.9,
    val maxLiveHeapShare: Double? = null,
    val healthWindow: Duration = 60.seconds,
    val reloadTakesStandbys: Boolean = false,
) {
    init {
        require(!respawnDelay.isNegative()) { "respawnDelay must not be negative, was $respawnDelay" }
        require(backoffFactor >= 1.0) { "backoffFactor must be at least 1 (1: no backoff), was $backoffFactor" }
        require(maxRespawnDelay >= respawnDelay) { "maxRespawnDelay ($maxRespawnDelay) must be at least respawnDelay ($respawnDelay)" }
        require(maxRestarts >= 0) { "maxRestarts must not be negative, was $maxRestarts" }
        require(restartWindow.isPositive()) { "restartWindow must be positive, was $restartWindow" }
        require(maxBootFailures > 0) { "maxBootFailures must be positive, was $maxBootFailures" }
        require(bootTimeout.isPositive()) { "bootTimeout must be positive, was $bootTimeout" }
        require(heartbeatInterval.isPositive()) { "heartbeatInterval must be positive, was $heartbeatInterval" }
        heartbeatTimeout?.let {
            require(it > heartbeatInterval) {
                "heartbeatTimeout ($it) must be longer than heartbeatInterval ($heartbeatInterval), or every worker would look hung; " +
                    "raise the timeout or shorten the interval"
            }
        }
        require(maxRequests >= 0 && maxRequestsJitter >= 0) { "maxRequests and maxRequestsJitter must not be negative" }
        require(maxHeap == null || maxHeap > 0) { "maxHeap must be positive bytes, or null for no limit" }
        require(maxRss == null || maxRss > 0) { "maxRss must be positive bytes, or null for no limit" }
        require(reloadParallelism > 0) { "reloadParallelism must be positive, was $reloadParallelism" }
        require(standby >= 0) { "standby must not be negative, was $standby" }
        require(maxWorkers > 0) { "maxWorkers must be positive, was $maxWorkers" }
        require(maxBooting > 0) { "maxBooting must be positive, was $maxBooting" }
        require(maxGcShare == null || maxGcShare > 0.0 && maxGcShare < 1.0) { "maxGcShare must be between 0 and 1 (0.9: 90 % of the time), or null for no limit; was $maxGcShare" }
        require(maxLiveHeapShare == null || maxLiveHeapShare > 0.0 && maxLiveHeapShare < 1.0) {
            "maxLiveHeapShare must be between 0 and 1 (0.9: 90 % of the maximum heap), or null for no limit; was $maxLiveHeapShare"
        }
        require(healthWindow.isPositive()) { "healthWindow must be positive, was $healthWindow" }
    }

    public companion object {
        /**
         * The exit code by which a worker says "I cannot boot: do not try again" (`EX_CONFIG` of
         * sysexits.h); `Cluster.worker.cannotBoot(reason)` exits with it.
         */
        public const val CANNOT_BOOT: Int = 78

        /** The exit code a primary should end with once its cluster has [ClusterState.Failed] (`EX_UNAVAILABLE`). */
        public const val PRIMARY_FAILED: Int = 69

        private val cpus = Runtime.getRuntime().availableProcessors()

        /** [maxWorkers]' default: 16 per processor, at least 64. */
        @JvmField
        public val DEFAULT_MAX_WORKERS: Int = maxOf(64, 16 * cpus)

        /** [maxBooting]'s default: 2 per processor, at least 8. */
        @JvmField
        public val DEFAULT_MAX_BOOTING: Int = maxOf(8, 2 * cpus)
    }
}
