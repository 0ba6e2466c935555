package io.jcluster.ops

import io.jcluster.ClusterPlugin
import io.jcluster.ManagedCluster
import io.jcluster.ClusterStats
/**
 * `Plugins.stats()`: [snapshot]s of a [ManagedCluster] (restarts and why, messages, requests, and
 * every worker's pid, state, uptime, heap, RSS, requests and open connections). The cluster itself
 * does the counting, once, whichever of this, [ControlPlugin] and [MetricsPlugin] it uses; this
 * plugin only gives you the snapshots. Heap, requests and connections come with each worker's
 * heartbeat answer, so they are as fresh as [Supervision.heartbeatInterval]; workers that are not
 * supervised (`fork()`) are not pinged.
 */
public class StatsPlugin internal constructor() : ClusterPlugin {
    override val name: String = "stats"

    @Volatile private var cluster: ManagedCluster? = null

    override fun onStarting(cluster: ManagedCluster) {
        this.cluster = cluster
    }

    /** The cluster now; throws [IllegalStateException] before the plugin's cluster has started. */
    public fun snapshot(): ClusterStats {
        val cluster = checkNotNull(cluster) { "the stats plugin has no cluster yet: use(Plugins.stats()) in a cluster, and ask once it started" }
        return cluster.stats()
    }
}
