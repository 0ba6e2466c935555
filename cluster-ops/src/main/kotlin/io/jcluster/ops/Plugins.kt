package io.jcluster.ops

import io.jcluster.AdminProtocol
import io.jcluster.ClusterPlugin
import io.jcluster.ManagedCluster
import io.jcluster.Worker
import io.jcluster.WorkerEvent
import io.github.oshai.kotlinlogging.KotlinLogging
import java.nio.file.Path
import kotlin.time.Duration

private val log = KotlinLogging.logger("io.jcluster.debug")

/** The plugins that come with jcluster. */
public object Plugins {
    /** Counts restarts (and why), messages and requests, and takes snapshots of every worker: see [StatsPlugin]. */
    @JvmStatic
    public fun stats(): StatsPlugin = StatsPlugin()

    /**
     * A control socket at [path] (default: [AdminProtocol.defaultPath], where `bin/jcluster` looks)
     * answering `status`, `stats`, `reload`, `restart`, `scale N`, `kill ID`: see [ControlPlugin].
     */
    @JvmStatic
    @JvmOverloads
    public fun control(path: java.nio.file.Path? = null): ControlPlugin = ControlPlugin(path)

    /** `/metrics` (Prometheus text), `/healthz` and `/readyz` on [host]:[port] (0: any free port): see [MetricsPlugin]. */
    @JvmStatic
    @JvmOverloads
    public fun metrics(port: Int, host: String = "127.0.0.1"): MetricsPlugin {
        require(port in 0..65535) { "metrics($port): a port is 0..65535" }
        return MetricsPlugin(host, port)
    }

    /** Logs every step of the primary's life and every worker's (LearnBoost's `debug()`), at INFO. */
    @JvmStatic
    public fun debug(): ClusterPlugin = DebugPlugin

    /**
     * Pid files in [dir] (created if missing): `master.pid`, and `worker.<id>.pid` for each live
     * worker, kept true through respawns and reloads, all removed when the cluster closes.
     */
    @JvmStatic
    public fun pidfiles(dir: Path): ClusterPlugin = PidfilesPlugin(dir)

    /**
     * Log files in [dir] (created if missing): `master.log` (the primary's stdout and stderr, and its
     * lifecycle at [level] or above) and `worker.<slot>.log` (each worker's stdout and stderr), every line
     * timestamped and naming its process; `USR1` reopens them all (for logrotate).
     */
    @JvmStatic
    @JvmOverloads
    public fun logger(dir: Path, level: System.Logger.Level = System.Logger.Level.INFO): ClusterPlugin = LoggerPlugin(dir, level)

    /**
     * `sd_notify` for a systemd `Type=notify` service: `READY=1` once every slot has a ready worker,
     * `RELOADING=1`/`READY=1` around a restart, `STOPPING=1` on close, with `STATUS=` lines. Nothing
     * without `NOTIFY_SOCKET`; [cluster] uses it by itself when that is set.
     */
    @JvmStatic
    public fun systemd(): ClusterPlugin = SystemdPlugin(SdNotify.fromEnvironment())

    /**
     * For development (LearnBoost's `reload()`): restarts the workers without downtime when a file
     * under [paths] changes. A directory is watched with everything below it (less dot-directories
     * such as `.git`), for files whose extension is one of [extensions] (every file if empty);
     * editors' temporary files (`.x.swp`, `x~`, `.#x`, `4913`, `.tmp`…) never count. A file given by
     * itself always counts. A burst of changes makes one reload, once none came for [quietPeriod]; see
     * [ReloadPlugin].
     *
     * @throws IllegalArgumentException if a path does not exist (checked in the primary only).
     */
    @JvmStatic
    @JvmOverloads
    public fun reload(
        paths: List<Path>,
        extensions: Set<String> = ReloadPlugin.DEFAULT_EXTENSIONS,
        quietPeriod: Duration = ReloadPlugin.DEFAULT_QUIET_PERIOD,
    ): ReloadPlugin = ReloadPlugin(paths, extensions, quietPeriod)
}

private object DebugPlugin : ClusterPlugin {
    override val name: String = "debug"

    override fun onStarting(cluster: ManagedCluster) = say("starting, pid ${ProcessHandle.current().pid()}")

    override fun whenReady(cluster: ManagedCluster) =
        say("ready: ${cluster.primary.activeWorkers().joinToString { "worker ${it.id} (slot ${it.slot}, pid ${it.pid})" }}")

    override fun beforeFork(cluster: ManagedCluster, slot: Int?) = say("forking a worker for slot $slot")

    override fun afterFork(cluster: ManagedCluster, worker: Worker) = say("forked worker ${worker.id} (slot ${worker.slot}, pid ${worker.pid})")

    override fun onWorkerExit(cluster: ManagedCluster, exit: WorkerEvent.Exited) =
        say("worker ${exit.worker.id} exited: ${exit.reason}, ${exit.exit}")

    override fun onWorkersChanged(cluster: ManagedCluster, from: Int, to: Int) = say("workers: $from → $to")

    override fun onRestart(cluster: ManagedCluster) = say("restarting the workers")

    override fun onExit(cluster: ManagedCluster) = say("closed (${cluster.state.value})")

    private fun say(text: String) = log.info { "cluster: $text" }
}
