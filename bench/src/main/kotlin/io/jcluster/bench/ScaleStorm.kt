package io.jcluster.bench

import io.jcluster.AdminRequest
import kotlin.random.Random

/**
 * Hundreds of `scale N` (admin socket), `TTIN` and `TTOU` to the primary, interleaved with SIGKILLs of
 * workers, then `scale` back to the target: the reconcile step must converge from any sequence.
 * Node's cluster has no scaling command or signal, so it has no peer.
 */
object ScaleStorm : ChaosPhase {
    override val key = "scale_storm"
    override val title = "scale storm: $COMMANDS scale/TTIN/TTOU, a SIGKILL every $KILL_EVERY"

    private const val COMMANDS = 300
    private const val KILL_EVERY = 50
    private const val PAUSE_MILLIS = 35L

    override fun skipFor(target: ReloadTarget, cluster: PhaseCluster) =
        "Node's cluster has no scale command or signal".takeIf { cluster.admin == null }

    override fun act(cluster: PhaseCluster, random: Random): String {
        val admin = checkNotNull(cluster.admin)
        var refused = 0
        var kills = 0
        repeat(COMMANDS) { i ->
            when (i % 3) {
                0 -> if (!admin.request(AdminRequest("scale", workers = random.nextInt(1, 2 * cluster.workers + 1))).ok) refused++
                1 -> sendSignal(cluster.server.pid, "TTIN")
                else -> sendSignal(cluster.server.pid, "TTOU")
            }
            if (i % KILL_EVERY == KILL_EVERY - 1) {
                cluster.killServing(random)?.let { kills++ }
            }
            Thread.sleep(PAUSE_MILLIS)
        }
        val back = admin.request(AdminRequest("scale", workers = cluster.workers))
        return "$COMMANDS commands ($refused scale refused), $kills kills; scale ${cluster.workers}: ${back.message ?: back.ok}"
    }
}
