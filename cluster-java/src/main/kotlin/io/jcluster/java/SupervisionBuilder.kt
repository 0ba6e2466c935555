package io.jcluster.java

import io.jcluster.CullOrder
import io.jcluster.ReadyWhen
import io.jcluster.Supervision
import java.nio.file.Path
import kotlin.time.toKotlinDuration
import java.time.Duration as JavaDuration

/**
 * [Supervision] for Java, with `java.time.Duration`s: `new SupervisionBuilder().maxRestarts(5).build()`.
 * Each setting starts at the default `Supervision` documents; [build] checks them together.
 */
public class SupervisionBuilder {
    // Held apart and checked together in build(): a copy per setter would check each pair (respawn
    // delay against its maximum, heartbeat timeout against its interval) before both are set.
    private val defaults = Supervision()
    private var respawnDelay = defaults.respawnDelay
    private var backoffFactor = defaults.backoffFactor
    private var maxRespawnDelay = defaults.maxRespawnDelay
    private var healthyUptime = defaults.healthyUptime
    private var maxRestarts = defaults.maxRestarts
    private var restartWindow = defaults.restartWindow
    private var maxBootFailures = defaults.maxBootFailures
    private var readyWhen = defaults.readyWhen
    private var bootTimeout = defaults.bootTimeout
    private var heartbeatInterval = defaults.heartbeatInterval
    private var heartbeatTimeout = defaults.heartbeatTimeout
    private var maxRequests = defaults.maxRequests
    private var maxRequestsJitter = defaults.maxRequestsJitter
    private var maxHeap = defaults.maxHeap
    private var maxRss = defaults.maxRss
    private var reloadParallelism = defaults.reloadParallelism
    private var cullOrder = defaults.cullOrder
    private var standby = defaults.standby
    private var reloadTakesStandbys = defaults.reloadTakesStandbys
    private var exitOnOutOfMemory = defaults.exitOnOutOfMemory
    private var heapDumpDirectory = defaults.heapDumpDirectory
    private var replaceDeadlocked = defaults.replaceDeadlocked
    private var maxGcShare = defaults.maxGcShare
    private var maxLiveHeapShare = defaults.maxLiveHeapShare
    private var healthWindow = defaults.healthWindow

    /** The minimum time between a worker's unexpected death and its replacement. */
    public fun respawnDelay(delay: JavaDuration): SupervisionBuilder = apply { this.respawnDelay = delay.toKotlinDuration() }

    /** Each further death in a row multiplies the delay by this. */
    public fun backoffFactor(factor: Double): SupervisionBuilder = apply { this.backoffFactor = factor }

    /** The longest respawn delay. */
    public fun maxRespawnDelay(delay: JavaDuration): SupervisionBuilder = apply { this.maxRespawnDelay = delay.toKotlinDuration() }

    /** A worker that lived this long resets the backoff of its slot. */
    public fun healthyUptime(uptime: JavaDuration): SupervisionBuilder = apply { this.healthyUptime = uptime.toKotlinDuration() }

    /** More unexpected deaths than this within [restartWindow] and the cluster fails. */
    public fun maxRestarts(restarts: Int): SupervisionBuilder = apply { this.maxRestarts = restarts }

    /** The window of [maxRestarts]. */
    public fun restartWindow(window: JavaDuration): SupervisionBuilder = apply { this.restartWindow = window.toKotlinDuration() }

    /** This many workers in a row that die before they are ready, and the cluster fails. */
    public fun maxBootFailures(failures: Int): SupervisionBuilder = apply { this.maxBootFailures = failures }

    /** When a worker counts as ready. */
    public fun readyWhen(readyWhen: ReadyWhen): SupervisionBuilder = apply { this.readyWhen = readyWhen }

    /** A worker not ready this long after its fork is killed. */
    public fun bootTimeout(timeout: JavaDuration): SupervisionBuilder = apply { this.bootTimeout = timeout.toKotlinDuration() }

    /** How often the primary pings each ready worker. */
    public fun heartbeatInterval(interval: JavaDuration): SupervisionBuilder = apply { this.heartbeatInterval = interval.toKotlinDuration() }

    /** A worker silent this long is dumped, killed and replaced; null: no heartbeat. */
    public fun heartbeatTimeout(timeout: JavaDuration?): SupervisionBuilder = apply { this.heartbeatTimeout = timeout?.toKotlinDuration() }

    /** Recycle a worker after this many requests, plus up to [jitter] more; 0: never. */
    @JvmOverloads
    public fun maxRequests(requests: Long, jitter: Long = 0): SupervisionBuilder = apply { this.maxRequests = requests; this.maxRequestsJitter = jitter }

    /** Recycle a worker whose live heap exceeds this many bytes; null: never. */
    public fun maxHeap(bytes: Long?): SupervisionBuilder = apply { this.maxHeap = bytes }

    /** Recycle a worker whose resident set exceeds this many bytes; null: never. */
    public fun maxRss(bytes: Long?): SupervisionBuilder = apply { this.maxRss = bytes }

    /** How many workers a reload replaces at once. */
    public fun reloadParallelism(workers: Int): SupervisionBuilder = apply { this.reloadParallelism = workers }

    /** Which workers `spawn(-n)` retires first. */
    public fun cullOrder(order: CullOrder): SupervisionBuilder = apply { this.cullOrder = order }

    /** Keep this many warm standby workers, which replace a dead or recycled worker without a JVM start; 0: none. */
    public fun standby(workers: Int): SupervisionBuilder = apply { this.standby = workers }

    /** Let a reload promote the standbys that run the current build instead of starting JVMs; false by default (see `Supervision.reloadTakesStandbys`). */
    public fun reloadTakesStandbys(take: Boolean): SupervisionBuilder = apply { this.reloadTakesStandbys = take }

    /** Start workers with `-XX:+ExitOnOutOfMemoryError` (unless their JVM options choose otherwise); true by default. */
    public fun exitOnOutOfMemory(exit: Boolean): SupervisionBuilder = apply { this.exitOnOutOfMemory = exit }

    /** A worker out of memory writes a heap dump to this directory first; null (the default): none. */
    public fun heapDumpDirectory(directory: Path?): SupervisionBuilder = apply { this.heapDumpDirectory = directory }

    /** Dump and replace a worker with deadlocked threads; true by default. */
    public fun replaceDeadlocked(replace: Boolean): SupervisionBuilder = apply { this.replaceDeadlocked = replace }

    /** Dump and replace a worker whose collector took more than this share of [healthWindow] (0.9 by default); null: never. */
    public fun maxGcShare(share: Double?): SupervisionBuilder = apply { this.maxGcShare = share }

    /** Dump and replace a worker whose live heap stayed above this share of its maximum for [healthWindow]; null (the default): never. */
    public fun maxLiveHeapShare(share: Double?): SupervisionBuilder = apply { this.maxLiveHeapShare = share }

    /** The window of [maxGcShare] and [maxLiveHeapShare]; 60 seconds by default. */
    public fun healthWindow(window: JavaDuration): SupervisionBuilder = apply { this.healthWindow = window.toKotlinDuration() }

    /** The supervision; throws `IllegalArgumentException` naming a setting out of range. */
    public fun build(): Supervision = Supervision(
        respawnDelay, backoffFactor, maxRespawnDelay, healthyUptime, maxRestarts, restartWindow, maxBootFailures, readyWhen, bootTimeout,
        heartbeatInterval, heartbeatTimeout, maxRequests, maxRequestsJitter, maxHeap, maxRss, reloadParallelism, cullOrder, standby,
        exitOnOutOfMemory = exitOnOutOfMemory, heapDumpDirectory = heapDumpDirectory, replaceDeadlocked = replaceDeadlocked,
        maxGcShare = maxGcShare, maxLiveHeapShare = maxLiveHeapShare, healthWindow = healthWindow, reloadTakesStandbys = reloadTakesStandbys,
    )
}
