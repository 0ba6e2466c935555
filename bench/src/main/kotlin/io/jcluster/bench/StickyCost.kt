package io.jcluster.bench

import io.jcluster.SharingStrategy

/** What sticky sessions cost against plain round-robin, per adapter: within each round, and over the medians. */
object StickyCost {
    /** The ratios of each adapter's sticky target to its round-robin one in one round's [results] (keep-alive, close). */
    fun printRound(results: List<Pair<HttpTarget, Pair<WrkResult, WrkResult>>>) {
        for ((target, sticky) in results) {
            if (target !is HttpTarget.Sticky) continue
            val rr = results.firstOrNull { (t, _) -> t is HttpTarget.Clustered && t.adapter == target.adapter && t.strategy == SharingStrategy.ROUND_ROBIN }?.second ?: continue
            println("   %-22s sticky / round-robin: keep-alive %s, close %s".format(target.adapter, ratio(sticky.first, rr.first), ratio(sticky.second, rr.second)))
        }
    }

    fun ratio(value: WrkResult, of: WrkResult): String =
        if (of.requestsPerSecond > 0) "%.2fx".format(value.requestsPerSecond / of.requestsPerSecond) else "n/a"
}
