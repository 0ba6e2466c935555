package io.jcluster

/**
 * What the primary of a [cluster] does, as the LearnBoost module named it, on [ManagedCluster.events]
 * (the workers' own events stay on `primary.events`).
 */
public sealed class PrimaryEvent {
    /** The primary started and is about to spawn its workers (LearnBoost `start`). */
    public data object Started : PrimaryEvent()

    /** A worker was forked (LearnBoost `worker`). */
    public data class WorkerSpawned(val worker: Worker) : PrimaryEvent()

    /** Every slot has a ready worker, for the first time (LearnBoost `listening`). */
    public data object Listening : PrimaryEvent()

    /** A worker died without being asked to (LearnBoost `worker killed`); supervision respawns it. */
    public data class WorkerKilled(val worker: Worker, val exit: WorkerEvent.Exited) : PrimaryEvent()

    /** The number of wanted workers changed from [from] to [to] (gunicorn's `nworkers_changed`). */
    public data class WorkersChanged(val from: Int, val to: Int) : PrimaryEvent()

    /** A restart began (LearnBoost `restarting`); [signal] is set for a hard one. */
    public data class Restarting(val signal: Signal?) : PrimaryEvent()

    /** A restart ended (LearnBoost `restart`); [failure] says why it stopped early, or is null. */
    public data class Restarted(val failure: String?) : PrimaryEvent()

    /** `kill(signal)` signalled every worker (LearnBoost `kill`). */
    public data class Killed(val signal: Signal) : PrimaryEvent()

    /** A graceful close began (LearnBoost `closing`). */
    public data object Closing : PrimaryEvent()

    /** Every worker is gone and the primary has let go of its sockets (LearnBoost `close`). */
    public data object Closed : PrimaryEvent()

    /** In the old primary of an upgrade ([ManagedCluster.upgrade]): the new one, pid [successor], is ready; this one's workers drain now. */
    public data class HandedOver(val successor: Long) : PrimaryEvent()

    /** In the new primary of an upgrade: the old one, pid [predecessor], let go; this one is the cluster's primary now. */
    public data class TookOver(val predecessor: Long) : PrimaryEvent()

    /** An upgrade failed ([UpgradeFailedException]); this primary serves on. */
    public data class UpgradeFailed(val reason: String) : PrimaryEvent()

    /** A plugin's hook threw; the cluster went on. */
    public data class PluginFailed(val plugin: String, val hook: String, val error: Throwable) : PrimaryEvent()
}
