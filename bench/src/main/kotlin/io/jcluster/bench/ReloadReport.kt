package io.jcluster.bench

/**
 * The figures of `bench/run reload`: a table per scenario, the targets, and
 * bench/results/reload.json. The peer of every non-Node figure is Node's default policy on Linux
 * (round-robin, [PEER]): what a Node application gets without asking, and the figure the issue quotes.
 * A scenario that failed is in the tables with its reason and left out of the JSON.
 */
class ReloadReport(private val outcomes: List<ReloadOutcome>) {
    private val peer = outcomes.firstOrNull { it.target.key == PEER }

    fun toBenchReport(): BenchReport = BenchReport("reload", outcomes.flatMap(::figures))

    private fun figures(outcome: ReloadOutcome): List<BenchResult> {
        val peer = peer?.takeIf { !outcome.target.isNode }
        val figure = Figures(outcome.target.key, outcome, peer?.target?.key, peer)::figure
        return listOfNotNull(
            figure("reload_failed", "requests") { it.reload.getOrNull()?.load?.failed },
            figure("reload_ms", "ms") { it.reload.getOrNull()?.millis },
            figure("reload_requests", "requests") { it.reload.getOrNull()?.load?.requests },
            figure("kill_failed", "requests") { it.kill.getOrNull()?.load?.failed },
            figure("kill_in_flight_max", "requests") { it.kill.getOrNull()?.respawn?.connections },
            figure("kill_to_listening_ms", "ms") { it.kill.getOrNull()?.respawn?.listeningMillis },
            figure("kill_requests", "requests") { it.kill.getOrNull()?.load?.requests },
            figure("upgrade_failed", "requests") { it.upgrade?.getOrNull()?.load?.failed },
            figure("upgrade_ready_ms", "ms") { it.upgrade?.getOrNull()?.readyMillis },
            figure("upgrade_old_gone_ms", "ms") { it.upgrade?.getOrNull()?.goneMillis },
            figure("upgrade_requests", "requests") { it.upgrade?.getOrNull()?.load?.requests },
        )
    }

    fun print() {
        val load = "keep-alive wrk -t${Wrk.THREADS} -c${Wrk.CONNECTIONS}, ${ReloadBench.WORKERS} workers"
        println("\nreload: SIGHUP to the primary under $load (rolling: fork new, wait listening, disconnect old)")
        println("%-18s %7s %10s %8s %10s  %s".format("target", "failed", "requests", "vs peer", "reload ms", "errors"))
        outcomes.forEach { o ->
            o.reload.fold({ r -> println("%-18s %7d %10d %8s %10d  %s".format(o.target, r.load.failed, r.load.requests,
                ratio(o, r.load.requests) { it.reload.getOrNull()?.load?.requests }, r.millis, r.load.errorDetail)) }, { noResult(o, it) })
        }
        printUpgrades(load)
        println("\nkill: SIGKILL to one worker under $load; in flight: connections the killed worker held (one request each at most)")
        println("%-18s %7s %10s %10s %8s %13s  %s".format("target", "failed", "in flight", "requests", "vs peer", "listening ms", "errors"))
        outcomes.forEach { o ->
            o.kill.fold({ k -> println("%-18s %7d %10d %10d %8s %13d  %s".format(o.target, k.load.failed, k.respawn.connections, k.load.requests,
                ratio(o, k.load.requests) { it.kill.getOrNull()?.load?.requests }, k.respawn.listeningMillis, k.load.errorDetail)) }, { noResult(o, it) })
        }
        printTargets()
    }

    /** Beside the reload table: the same columns for an upgrade of the primary itself, and when the old one had gone. */
    private fun printUpgrades(load: String) {
        println("\nupgrade: `upgrade` on the control socket under $load (a new primary takes the port over, the old one drains and exits)")
        println("%-18s %7s %10s %9s %10s %12s  %s".format("target", "failed", "requests", "vs reload", "ready ms", "old gone ms", "errors"))
        outcomes.forEach { o ->
            val upgrade = o.upgrade ?: return@forEach println("%-18s n/a: %s".format(o.target,
                if (o.target.isNode) "Node's cluster cannot replace its primary" else "not run for this target (bin/hello-cluster's is)"))
            // vs reload: requests served against the same target's reload scenario, the same load around another replacement.
            upgrade.fold({ u ->
                val vsReload = o.reload.getOrNull()?.load?.requests?.takeIf { it > 0 }?.let { "%.2fx".format(u.load.requests.toDouble() / it) } ?: ""
                println("%-18s %7d %10d %9s %10d %12d  %s".format(o.target, u.load.failed, u.load.requests, vsReload, u.readyMillis, u.goneMillis, u.load.errorDetail))
            }, { noResult(o, it) })
        }
    }

    private fun noResult(outcome: ReloadOutcome, failure: Throwable) = println("%-18s no result: %s".format(outcome.target, failure.message))

    private fun ratio(outcome: ReloadOutcome, value: Long, of: (ReloadOutcome) -> Long?): String =
        peer?.takeIf { !outcome.target.isNode }?.let(of)?.takeIf { it > 0 }?.let { "%.2fx".format(value.toDouble() / it) } ?: ""

    /** The targets, stated for every target of this run (Node's too: it shows what they ask). */
    private fun printTargets() {
        println("\ntargets")
        outcomes.forEach { o ->
            val reload = o.reload.fold({ "${it.load.failed} failed (target 0: ${verdict(it.load.failed == 0L)})" + timeAgainstPeer(o, it) }, { "no result" })
            val kill = o.kill.fold({ k ->
                "${k.load.failed} failed, at most ${k.respawn.connections} in flight (${verdict(k.load.failed <= k.respawn.connections)}), " +
                    "listening ${k.respawn.listeningMillis} ms after the kill (target ${MAX_LISTENING_MILLIS} ms: ${verdict(k.respawn.listeningMillis <= MAX_LISTENING_MILLIS)})"
            }, { "no result" })
            val upgrade = o.upgrade?.fold({ "; upgrade: ${it.load.failed} failed (target 0: ${verdict(it.load.failed == 0L)}), old primary gone after ${it.goneMillis} ms" }, { "; upgrade: no result" }) ?: ""
            println("  %-18s reload: %s; kill: %s%s".format(o.target, reload, kill, upgrade))
        }
    }

    /** Issue 18's target for a reload's time: at most [MAX_RELOAD_RATIO] Node's, in the same run; empty for Node itself. */
    private fun timeAgainstPeer(outcome: ReloadOutcome, rolling: Rolling): String {
        val peerMillis = peer?.takeIf { !outcome.target.isNode }?.reload?.getOrNull()?.millis?.takeIf { it > 0 } ?: return ""
        val ratio = rolling.millis.toDouble() / peerMillis
        return ", %d ms, %.2fx Node rr's %d ms (target at most %.1fx: %s)".format(rolling.millis, ratio, peerMillis, MAX_RELOAD_RATIO, verdict(ratio <= MAX_RELOAD_RATIO))
    }

    private fun verdict(met: Boolean) = if (met) "met" else "missed"

    private companion object {
        const val PEER = "node_rr"
        const val MAX_LISTENING_MILLIS = 1_000L
        const val MAX_RELOAD_RATIO = 1.5
    }
}
