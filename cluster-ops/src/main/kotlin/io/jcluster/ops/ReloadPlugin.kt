package io.jcluster.ops

import io.jcluster.ClusterPlugin
import io.jcluster.ManagedCluster
import io.jcluster.PrimaryState
import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ops.internal.ChangeBurst
import io.jcluster.ops.internal.PathWatcher
import io.jcluster.ops.internal.WatchedPaths
import io.jcluster.Cluster
import io.jcluster.ops.internal.forEachBurst
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.launch
import java.nio.file.Path
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.TimeSource

private val log = KotlinLogging.logger("io.jcluster.reload")

/**
 * [Plugins.reload]: a development plugin (LearnBoost's `reload()`) that restarts the workers without
 * downtime ([ManagedCluster.restart]) when a watched file changes. It watches from the moment the
 * cluster starts until it closes, through the file system's `WatchService`; the first reload waits
 * until every slot has had a ready worker. A burst of changes (a build writing a hundred classes)
 * makes one reload, once no change came for the quiet period; changes during a reload make one more
 * after it. Each reload is logged with the file that started it. A reload that fails (a replacement
 * did not boot: a broken build) leaves the old workers serving, and the next change tries again.
 *
 * The paths were checked when the plugin was made (in a worker, which ignores plugins, they are not).
 */
public class ReloadPlugin internal constructor(
    paths: List<Path>,
    extensions: Set<String>,
    private val quietPeriod: Duration,
) : ClusterPlugin {
    override val name: String = "reload"

    // Not in a worker: it ignores plugins, and its working directory may not be the primary's.
    private val watched: WatchedPaths? = if (Cluster.isPrimary) WatchedPaths(paths, extensions) else null
    private val _reloads = MutableSharedFlow<Reloaded>(replay = REPLAY, extraBufferCapacity = REPLAY)
    private val ready = CompletableDeferred<Unit>()
    @Volatile private var running: Pair<PathWatcher, CoroutineScope>? = null

    init {
        require(quietPeriod.isPositive()) { "reload(): quietPeriod must be positive, was $quietPeriod" }
    }

    /** The reloads done so far, in order (the last [REPLAY] replayed to a late collector). */
    public val reloads: SharedFlow<Reloaded> = _reloads.asSharedFlow()

    /**
     * A reload this plugin did.
     *
     * @property trigger the first changed file of the burst that started it.
     * @property files how many distinct files the burst changed (the trigger among them).
     * @property failure why the reload failed (the old workers still serve), or null if every worker was replaced.
     */
    public data class Reloaded(val trigger: Path, val files: Int, val failure: String?)

    override fun onStarting(cluster: ManagedCluster) {
        check(running == null) { "this reload plugin already watches a cluster: make one per cluster" }
        val watched = checkNotNull(watched) { "the reload plugin runs in a primary" }
        val changes = Channel<Path>(Channel.UNLIMITED)
        val watcher = PathWatcher(watched) { changes.trySend(it) }
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        scope.launch {
            ready.await()
            forEachBurst(changes, quietPeriod) { reload(cluster, it) }
        }
        running = watcher to scope
        log.info { "reload: watching ${(watched.trees + watched.files).joinToString()} (${watcher.watched} ${if (watcher.watched == 1) "directory" else "directories"})" }
    }

    override fun whenReady(cluster: ManagedCluster) {
        ready.complete(Unit)
    }

    override fun onExit(cluster: ManagedCluster) {
        running?.let { (watcher, scope) ->
            watcher.close()
            scope.cancel()
        }
    }

    private suspend fun reload(cluster: ManagedCluster, burst: ChangeBurst) {
        val state = cluster.state.value
        val others = if (burst.paths > 1) " (and ${burst.paths - 1} more)" else ""
        if (state != PrimaryState.ACTIVE && state != PrimaryState.RESTARTING) {
            return log.info { "reload: ${burst.first} changed$others, and the cluster is $state: no reload" }
        }
        log.info { "reload: ${burst.first} changed$others; restarting the workers" }
        val start = TimeSource.Monotonic.markNow()
        val failure = try {
            cluster.restart()
            null
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            e.message ?: e.toString()
        }
        if (failure == null) log.info { "reload: workers replaced in ${start.elapsedNow().inWholeMilliseconds} ms" }
        else log.warn { "reload failed: $failure; the old workers keep serving, the next change tries again" }
        _reloads.emit(Reloaded(burst.first, burst.paths, failure))
    }

    public companion object {
        /** What [Plugins.reload] watches in a directory by default: classes, jars, and configuration files. */
        @JvmField
        public val DEFAULT_EXTENSIONS: Set<String> = setOf("class", "jar", "properties", "conf", "yaml", "yml", "json", "xml", "toml")

        /** How long no change must come before a burst of changes reloads. */
        public val DEFAULT_QUIET_PERIOD: Duration = 300.milliseconds

        /** How many past reloads a new collector of [reloads] gets. */
        public const val REPLAY: Int = 16
    }
}
