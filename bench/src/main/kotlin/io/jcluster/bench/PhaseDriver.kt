package io.jcluster.bench

import kotlin.random.Random

/** Runs one [ChaosPhase] on one target: wrk around the fault, then the wait for the cluster to be back at its target. */
object PhaseDriver {
    /** Seed of the phases' choices: two runs pick the same sequence. */
    private const val SEED = 11

    fun run(phase: ChaosPhase, target: ReloadTarget, cluster: PhaseCluster, wrk: Wrk): PhaseRun {
        phase.skipFor(target, cluster)?.let { why ->
            println("   phase ${phase.key}: skipped, $why")
            return PhaseRun(phase, target, null, why)
        }
        if (!cluster.server.isAlive) {
            println("   phase ${phase.key}: skipped, the primary exited in an earlier phase")
            return PhaseRun(phase, target, null, "the primary exited in an earlier phase")
        }
        println("   phase ${phase.key}: ${phase.title}")
        val outcome = runCatching { measure(phase, cluster, wrk) }
            .onSuccess { println("   phase ${phase.key}: ${it.did}; ${it.load}; ${it.workersAtEnd} workers at the end") }
            .onFailure { println("   phase ${phase.key} failed: ${it.message}") }
        return PhaseRun(phase, target, outcome)
    }

    private fun measure(phase: ChaosPhase, cluster: PhaseCluster, wrk: Wrk): PhaseFigures {
        val pid = cluster.server.pid
        val before = ProcStatus.of(pid)
        val rssBefore = ProcStatus.residentBytes(pid) ?: 0
        val logBefore = cluster.logBytes()
        val started = System.nanoTime()
        val (load, did) = wrk.around(ChaosPhase.SECONDS * 3, close = false) {
            phase.act(cluster, Random(SEED)).also {
                val left = ChaosPhase.SECONDS * 1_000L - (System.nanoTime() - started) / 1_000_000
                if (left > 0) Thread.sleep(left)
            }
        }
        val settleStart = System.nanoTime()
        val settled = settle(cluster)
        val settleMillis = ((System.nanoTime() - settleStart) / 1_000_000).takeIf { settled }
        return PhaseFigures(load, did, cluster.servingWorkers(), settleMillis, before, ProcStatus.of(pid),
            rssBefore, ProcStatus.residentBytes(pid) ?: 0, cluster.logBytes() - logBefore)
    }

    /** Waits (at most [ChaosPhase.SETTLE_SECONDS]) until the cluster serves with its target of workers; false if it never did. */
    private fun settle(cluster: PhaseCluster): Boolean {
        val deadline = System.nanoTime() + ChaosPhase.SETTLE_SECONDS * 1_000_000_000
        while (System.nanoTime() < deadline) {
            if (cluster.servingWorkers() == cluster.workers) return true
            Thread.sleep(100)
        }
        return false
    }
}
