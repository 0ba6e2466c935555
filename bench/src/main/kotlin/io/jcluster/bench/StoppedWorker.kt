package io.jcluster.bench

import kotlin.random.Random

/**
 * One worker is SIGSTOPped for [SECONDS] s (shorter than the heartbeat's timeout), then continued:
 * the connections it holds stall, and a primary that hands it new ones (round-robin) stalls those too.
 */
object StoppedWorker : ChaosPhase {
    override val key = "stopped_worker"
    override val title = "stopped worker: SIGSTOP for $SECONDS s, then SIGCONT"

    private const val SECONDS = 8

    override fun act(cluster: PhaseCluster, random: Random): String {
        Thread.sleep(1_000)
        val victim = cluster.servingPids().randomOrNull(random) ?: error("no serving worker to stop")
        val held = TcpConnections.established(victim, cluster.port)
        sendSignal(victim, "STOP")
        try {
            Thread.sleep(SECONDS * 1_000L)
            return "pid $victim stopped, holding $held connections then and ${TcpConnections.established(victim, cluster.port)} at the end"
        } finally {
            sendSignal(victim, "CONT")
        }
    }
}
