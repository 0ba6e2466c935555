package io.jcluster

/**
 * How [Cluster.listen] listens.
 *
 * @property backlog the listen queue length; part of what identifies a shared listener, as in Node.
 * @property exclusive bind in this worker alone (the port is not shared with the other workers).
 * @property strategy how the workers share this listener; null: the cluster's [ClusterSettings.strategy]
 *   (round-robin if the listener is [sticky]).
 * @property sticky whether connections go by [StickySessions] (round-robin only): true, by the
 *   cluster's [ClusterSettings.sticky], or by client IP address if it has none; false: in turn; null:
 *   as the cluster says.
 */
public data class ListenOptions @JvmOverloads constructor(
    val backlog: Int = DEFAULT_BACKLOG,
    val exclusive: Boolean = false,
    val strategy: SharingStrategy? = null,
    val sticky: Boolean? = null,
) {
    init {
        require(backlog > 0) { "backlog must be positive, was $backlog" }
    }

    public companion object {
        /** Node's default backlog. */
        public const val DEFAULT_BACKLOG: Int = 511
    }
}
