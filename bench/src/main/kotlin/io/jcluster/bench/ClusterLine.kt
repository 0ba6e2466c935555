package io.jcluster.bench

/**
 * The stdout lines of a supervised cluster that `bench/run reload` reads, the contract that
 * bin/hello-cluster and bench/node/reload-cluster.js share (one line each, any other line is [Other]):
 *
 *     worker <id> (pid <pid>) listening on <address>    a worker listens (first ones, replacements, respawns)
 *     worker <id> died: <reason> <exit>                  a worker exited without being asked
 *     reloading                                          SIGHUP received, the rolling replacement starts
 *     reloaded[: <details>]                              every worker was replaced (hello-cluster adds
 *                                                        `: N workers replaced in M ms`, Node prints the word alone)
 *     reload failed: <why>                               the replacement stopped; the old workers serve on
 */
sealed interface ClusterLine {
    data class Listening(val id: Int, val pid: Long) : ClusterLine
    data class Died(val id: Int, val how: String) : ClusterLine
    data object Reloading : ClusterLine
    data object Reloaded : ClusterLine
    data class ReloadFailed(val why: String) : ClusterLine
    data object Other : ClusterLine

    companion object {
        private val LISTENING = Regex("""worker (\d+) \(pid (\d+)\) listening on \S+""")
        private val DIED = Regex("""worker (\d+) died: (.*)""")
        private const val FAILED = "reload failed:"

        fun parse(text: String): ClusterLine {
            LISTENING.matchEntire(text)?.destructured?.let { (id, pid) -> return Listening(id.toInt(), pid.toLong()) }
            DIED.matchEntire(text)?.destructured?.let { (id, how) -> return Died(id.toInt(), how) }
            return when {
                text == "reloading" -> Reloading
                text == "reloaded" || text.startsWith("reloaded:") -> Reloaded
                text.startsWith(FAILED) -> ReloadFailed(text.removePrefix(FAILED).trim())
                else -> Other
            }
        }
    }
}
