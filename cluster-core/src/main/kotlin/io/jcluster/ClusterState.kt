package io.jcluster

/** What the primary is doing with the workers it supervises; [Primary.state]. */
public sealed class ClusterState {
    /** No supervised workers are wanted (before the first `spawn`, or after `disconnect()`). */
    public data object Idle : ClusterState()

    /** Keeping the wanted number of workers alive. */
    public data object Running : ClusterState()

    /** Replacing every worker, one batch at a time; still respawning as [Running] does. */
    public data object Reloading : ClusterState()

    /** Disconnecting every worker; nothing is respawned. */
    public data object Stopping : ClusterState()

    /**
     * The restart budget ran out, or workers cannot boot: nothing is respawned any more. [reason]
     * says why (with the last worker's first stderr lines); a primary should exit with
     * [Supervision.PRIMARY_FAILED].
     */
    public data class Failed(val reason: String) : ClusterState()
}
