package io.jcluster

/**
 * A plugin for [cluster]: `use(plugin)`. Every hook has a default that does nothing, so a plugin
 * overrides the ones it needs (gunicorn's server hooks, by their place in the primary's life). Hooks
 * run on the primary's event thread, in `use` order: keep them quick. A hook that throws is logged
 * and reported as [PrimaryEvent.PluginFailed]; the cluster goes on.
 */
public interface ClusterPlugin {
    /** The plugin's name in logs and [PrimaryEvent.PluginFailed]. */
    public val name: String get() = javaClass.simpleName.ifEmpty { javaClass.name }

    /** The primary starts, before the first fork (gunicorn `on_starting`). */
    public fun onStarting(cluster: ManagedCluster) {}

    /** Every slot has a ready worker, for the first time (gunicorn `when_ready`). */
    public fun whenReady(cluster: ManagedCluster) {}

    /** A worker for [slot] is about to be forked (gunicorn `pre_fork`); on the primary's loop: be very quick. */
    public fun beforeFork(cluster: ManagedCluster, slot: Int?) {}

    /** A worker was forked (gunicorn `post_fork`, seen from the primary). */
    public fun afterFork(cluster: ManagedCluster, worker: Worker) {}

    /** A worker exited, for any reason (gunicorn `child_exit`). */
    public fun onWorkerExit(cluster: ManagedCluster, exit: WorkerEvent.Exited) {}

    /** The wanted number of workers changed (gunicorn `nworkers_changed`). */
    public fun onWorkersChanged(cluster: ManagedCluster, from: Int, to: Int) {}

    /** A restart begins (gunicorn `on_reload`). */
    public fun onRestart(cluster: ManagedCluster) {}

    /** Reopen log files (`USR1`, after logrotate moved them; [ManagedCluster.reopenLogs]). */
    public fun onReopenLogs(cluster: ManagedCluster) {}

    /**
     * In the old primary of an upgrade ([ManagedCluster.upgrade]): the new primary, pid [successor],
     * has a ready worker in every slot. Runs before the new one hears so, and before this one's workers drain.
     */
    public fun onHandedOver(cluster: ManagedCluster, successor: Long) {}

    /**
     * In the new primary of an upgrade: the old one, pid [predecessor], let go, and this one is the
     * cluster's primary now (what `onStarting` does for a primary that was not started by an upgrade:
     * write the pidfile, tell systemd; [ManagedCluster.predecessor] tells the two apart there).
     */
    public fun onUpgraded(cluster: ManagedCluster, predecessor: Long) {}

    /** Every worker is gone; the primary is about to exit (gunicorn `on_exit`). */
    public fun onExit(cluster: ManagedCluster) {}
}
