package io.jcluster.bench

/**
 * The [ChaosPhase]s' part of `bench/run chaos`: one table per phase, every target side by side
 * (Node's where Node has the same fault), and their figures in bench/results/chaos.json, each with
 * Node's round-robin cluster's as the peer where it has one.
 */
class ChaosPhaseReport(private val runs: List<ChaosRun>, private val workers: Int) {
    private val peer = runs.firstOrNull { it.target.key == PEER }

    fun figures(run: ChaosRun): List<BenchResult> = run.phases.flatMap { phase ->
        val own = phase.outcome?.getOrNull() ?: return@flatMap emptyList()
        val theirs = peer?.takeIf { !run.target.isNode }?.phases?.firstOrNull { it.phase == phase.phase }?.outcome?.getOrNull()
        val figure = Figures("${run.target.key}_${phase.phase.key}", own, PEER.takeIf { theirs != null }, theirs)::figure
        listOfNotNull(
            figure("requests", "requests") { it.load.requests },
            figure("failed", "requests") { it.load.failed },
            figure("workers_at_end", "workers") { it.workersAtEnd },
            figure("settle_ms", "ms") { it.settleMillis },
            figure("primary_fds_before", "fds") { it.before.fds },
            figure("primary_fds_after", "fds") { it.after.fds },
            figure("primary_threads_before", "threads") { it.before.threads },
            figure("primary_threads_after", "threads") { it.after.threads },
            figure("primary_rss_before_mb", "MB") { it.rssBefore / MB },
            figure("primary_rss_after_mb", "MB") { it.rssAfter / MB },
            figure("log_bytes", "bytes") { it.logBytes },
        )
    }

    fun print() {
        ChaosPhase.ALL.forEach { phase ->
            println("\nphase ${phase.key}: ${phase.title}; ${ChaosPhase.SECONDS} s of wrk -t${Wrk.THREADS} -c${Wrk.CONNECTIONS}, then up to ${ChaosPhase.SETTLE_SECONDS} s for $workers serving workers")
            println("%-18s %9s %6s %8s %9s %10s %11s %13s %10s".format("target", "requests", "failed", "workers", "settled", "fds", "threads", "rss MB", "log bytes"))
            runs.forEach { run -> row(run, run.phases.firstOrNull { it.phase == phase }) }
            runs.forEach { run -> run.phases.firstOrNull { it.phase == phase }?.outcome?.getOrNull()?.let { println("  ${run.target}: ${it.did}") } }
        }
    }

    private fun row(run: ChaosRun, phase: PhaseRun?) {
        val figures = phase?.outcome?.getOrNull()
        when {
            phase == null -> println("%-18s no result: the chaos run before it failed".format(run.target))
            phase.skipped != null -> println("%-18s n/a: %s".format(run.target, phase.skipped))
            figures == null -> println("%-18s no result: %s".format(run.target, phase.outcome?.exceptionOrNull()?.message))
            else -> println("%-18s %9d %6d %8s %9s %10s %11s %13s %10d".format(
                run.target, figures.load.requests, figures.load.failed, "${figures.workersAtEnd}/$workers",
                figures.settleMillis?.let { "$it ms" } ?: "never", "${figures.before.fds}→${figures.after.fds}",
                "${figures.before.threads}→${figures.after.threads}", "${figures.rssBefore / MB}→${figures.rssAfter / MB}", figures.logBytes))
        }
    }

    private companion object {
        const val PEER = "node_rr"
        const val MB = 1024 * 1024
    }
}
