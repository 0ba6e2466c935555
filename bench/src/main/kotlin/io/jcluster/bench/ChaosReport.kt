package io.jcluster.bench

/**
 * The figures of `bench/run chaos`: a table, each kill and reload, issue 7's targets, and
 * bench/results/chaos.json. The peer of every non-Node figure is Node's round-robin cluster ([PEER]);
 * a target whose run failed is in the table with its reason and left out of the JSON.
 */
class ChaosReport(private val runs: List<ChaosRun>) {
    private val peer = runs.firstOrNull { it.target.key == PEER }

    private val phases = ChaosPhaseReport(runs, ReloadBench.WORKERS)

    fun toBenchReport(): BenchReport = BenchReport("chaos", runs.flatMap { figures(it) + phases.figures(it) })

    private fun figures(run: ChaosRun): List<BenchResult> {
        val chaos = run.chaos.getOrNull() ?: return emptyList()
        val peer = peer?.takeIf { !run.target.isNode }
        val figure = Figures(run.target.key, chaos, peer?.target?.key, peer?.chaos?.getOrNull())::figure
        return listOfNotNull(
            figure("load_seconds", "s") { it.loadSeconds },
            figure("requests", "requests") { it.load.requests },
            figure("failed", "requests") { it.load.failed },
            figure("killed_in_flight", "requests") { it.inFlight },
            figure("kills", "kills") { it.kills.count { kill -> kill.respawn.isSuccess } },
            figure("kill_to_listening_max_ms", "ms") { it.listeningMillis.lastOrNull() },
            figure("kill_to_listening_p50_ms", "ms") { it.listeningMillis.takeIf(LongArray::isNotEmpty)?.let { all -> percentile(all, 50.0) } },
            figure("kills_listening_over_1s", "kills") { it.listeningMillis.count { ms -> ms > MAX_LISTENING_MILLIS } },
            figure("reloads_ok", "reloads") { it.hups.count { hup -> hup.reloadMillis.isSuccess } },
            figure("reload_max_ms", "ms") { it.hups.mapNotNull { hup -> hup.reloadMillis.getOrNull() }.maxOrNull() },
            figure("workers_at_end", "workers") { it.workersAtEnd },
            figure("primary_fds_before", "fds") { it.before.fds },
            figure("primary_fds_after", "fds") { it.after.fds },
            figure("primary_threads_before", "threads") { it.before.threads },
            figure("primary_threads_after", "threads") { it.after.threads },
        ) + chaos.kills.indices.mapNotNull { i ->
            figure("kill_${i + 1}_to_listening_ms", "ms") { it.kills.getOrNull(i)?.respawn?.getOrNull()?.listeningMillis }
        }
    }

    fun print() {
        println("\nchaos: ${ChaosBench.RUN_SECONDS} s of keep-alive wrk -t${Wrk.THREADS} -c${Wrk.CONNECTIONS}, ${ReloadBench.WORKERS} workers; " +
            "SIGKILL to a random worker every ${ChaosBench.KILL_EVERY_MILLIS / 1000} s, SIGHUP to the primary every ${ChaosBench.HUP_EVERY_MILLIS / 1000} s " +
            "(from ${ChaosBench.HUP_OFFSET_MILLIS / 1e3} s); in flight: connections the killed workers held (one request each at most)")
        println("%-18s %9s %6s %9s %6s %14s %7s %8s %8s %9s %8s %6s".format(
            "target", "requests", "failed", "in flight", "kills", "listen max/p50", "reloads", "workers", "fds", "threads", "died", "others"))
        runs.forEach { run -> run.chaos.fold({ row(run, it) }, { println("%-18s no result: %s".format(run.target, it.message)) }) }
        runs.forEach { run -> run.chaos.getOrNull()?.let { details(run, it) } }
        printTargets()
        phases.print()
    }

    private fun row(run: ChaosRun, c: Chaos) {
        val times = c.listeningMillis
        val listening = if (times.isEmpty()) "-" else "${times.last()}/${percentile(times, 50.0)} ms"
        println("%-18s %9d %6d %9d %6s %14s %7s %8d %8s %9s %8s %6.2f".format(
            run.target, c.load.requests, c.load.failed, c.inFlight, "${times.size}/${c.kills.size}", listening,
            "${c.hups.count { it.reloadMillis.isSuccess }}/${c.hups.size}", c.workersAtEnd,
            "${c.before.fds}→${c.after.fds}", "${c.before.threads}→${c.after.threads}", "${c.deaths}", c.otherCores))
    }

    private fun details(run: ChaosRun, c: Chaos) {
        println("\n${run.target}: %.1f s of load, %s".format(c.loadSeconds, c.load))
        c.actions.forEach { println("  $it") }
    }

    /** Issue 7's targets, stated for every target of this run (Node's too: it shows what they ask). */
    private fun printTargets() {
        println("\ntargets")
        runs.forEach { run ->
            val verdicts = run.chaos.fold({ c ->
                val slow = c.listeningMillis.count { it > MAX_LISTENING_MILLIS }
                val unreplaced = c.kills.count { it.respawn.isFailure }
                "${c.load.failed} failed, at most ${c.inFlight} in flight (${verdict(c.load.failed <= c.inFlight)}); " +
                    "$slow of ${c.kills.size} replacements over $MAX_LISTENING_MILLIS ms, $unreplaced not replaced (${verdict(slow == 0 && unreplaced == 0)}); " +
                    "${c.workersAtEnd} workers at the end (${verdict(c.workersAtEnd == ReloadBench.WORKERS)}); " +
                    "primary ${c.after.fds - c.before.fds} fds, ${c.after.threads - c.before.threads} threads more than before"
            }, { "no result" })
            println("  %-18s %s".format(run.target, verdicts))
        }
    }

    private fun verdict(met: Boolean) = if (met) "met" else "missed"

    private companion object {
        const val PEER = "node_rr"
        const val MAX_LISTENING_MILLIS = 1_000L
    }
}
