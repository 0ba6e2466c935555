package io.jcluster

/** The primary's state, as in the LearnBoost module (`ManagedCluster.state`). */
public enum class PrimaryState {
    /** Spawning and supervising its workers. */
    ACTIVE,

    /** Replacing its workers (`ManagedCluster.restart`). */
    RESTARTING,

    /** Waiting for its workers to leave. */
    CLOSING,

    /** Done: no worker runs. */
    CLOSED,

    /** Supervision gave up (`ClusterState.Failed`); the primary exits with `Supervision.PRIMARY_FAILED`. */
    FAILED,
}
