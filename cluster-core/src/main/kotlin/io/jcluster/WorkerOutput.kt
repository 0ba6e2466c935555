package io.jcluster

/**
 * Where the primary puts its workers' output under [Stdio.PIPE] ([ManagedCluster.workerOutput]): one
 * call per whole line, from the worker's pump threads (one per stream), so an implementation must be
 * thread-safe and write each line at once. The default relays to the primary's console; the logger
 * plugin of `cluster-ops` replaces it with per-worker files.
 */
public fun interface WorkerOutput {
    /** [workerId] wrote [text] (without its line break) on [stream]. */
    public fun line(workerId: Int, stream: Stream, text: String)

    /** Which of the worker's streams a line came from. */
    public enum class Stream { STDOUT, STDERR }

    public companion object {
        /** The primary's own stdout and stderr, each line behind `[worker N]`: one `println` per line never splits. */
        @JvmField
        public val CONSOLE: WorkerOutput = WorkerOutput { workerId, stream, text ->
            (if (stream == Stream.STDOUT) System.out else System.err).println("[worker $workerId] $text")
        }
    }
}
