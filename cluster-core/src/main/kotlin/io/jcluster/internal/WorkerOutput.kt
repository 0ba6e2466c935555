package io.jcluster.internal

/**
 * Where the primary puts its workers' output under [io.jcluster.Stdio.PIPE]: one call per whole line,
 * from the worker's pump threads (one per stream), so an implementation must be thread-safe and
 * write each line at once. The default relays to the primary's console; the logger plugin
 * ([io.jcluster.Plugins.logger]) replaces it with per-worker files.
 */
internal fun interface WorkerOutput {
    /** [workerId] wrote [text] (without its line break) on [stream]. */
    fun line(workerId: Int, stream: Stream, text: String)

    enum class Stream { STDOUT, STDERR }

    companion object {
        /** The primary's own stdout and stderr, each line behind `[worker N]`: one `println` per line never splits. */
        val CONSOLE = WorkerOutput { workerId, stream, text ->
            (if (stream == Stream.STDOUT) System.out else System.err).println("[worker $workerId] $text")
        }
    }
}
