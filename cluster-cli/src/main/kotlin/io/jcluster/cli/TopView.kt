package io.jcluster.cli

import io.jcluster.AdminRequest
import io.jcluster.ClusterStats
import java.util.concurrent.BlockingQueue
import java.util.concurrent.TimeUnit

/**
 * `jcluster top`, like `pm2 monit`: the cluster's totals and a row per worker (CPU, memory, requests per
 * second, restarts), redrawn each second until `q` or Ctrl-C. Not on a terminal, or with `--once`, it
 * prints one table, with rates over one second. CPU is read from this host's process table: run it
 * on the cluster's host (as the socket needs anyway).
 */
internal class TopView(private val client: ControlClient, private val out: (String) -> Unit) {
    /** Returns the exit code. */
    fun run(once: Boolean): Int {
        if (once || !Terminal.interactive()) {
            val first = sample()
            Thread.sleep(INTERVAL_MILLIS) // the interval the rates are measured over
            out(TopTable.render(sample(), first))
        } else {
            Terminal.raw(::live)
        }
        return 0
    }

    private fun live(keys: BlockingQueue<Int>) {
        val samples = ArrayDeque<TopSample>()
        while (true) {
            val now = sample()
            val frame = TopTable.render(now, samples.lastOrNull(), samples.firstOrNull()) + "\n\nq quits"
            print(Terminal.HOME + frame.lines().joinToString("\n") { it + Terminal.CLEAR_LINE } + Terminal.CLEAR_BELOW)
            System.out.flush()
            samples.addLast(now)
            if (samples.size > WINDOW) samples.removeFirst()
            val key = keys.poll(INTERVAL_MILLIS, TimeUnit.MILLISECONDS)
            if (key == 'q'.code || key == 'Q'.code || key == -1) return
        }
    }

    private fun sample(): TopSample = TopSample.take(stats())

    private fun stats(): ClusterStats {
        val reply = client.call(AdminRequest("stats"), TIMEOUT_MILLIS)
        return reply.stats ?: throw UnreachableException("the cluster answered no stats: ${reply.message}")
    }

    private companion object {
        const val INTERVAL_MILLIS = 1000L
        const val TIMEOUT_MILLIS = 15_000L

        /** Readings kept for the request rates: about ten seconds, two heartbeats at least. */
        const val WINDOW = 10
    }
}
