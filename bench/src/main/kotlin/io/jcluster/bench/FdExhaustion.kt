package io.jcluster.bench

import java.io.File
import kotlin.random.Random

/**
 * The primary runs out of descriptors for [SECONDS] s: `prlimit` lowers its soft `RLIMIT_NOFILE` to
 * the count it has open, and a worker is killed a second in, so that the primary must admit a
 * replacement; then the limit comes back. Under round-robin (Node's default) the primary's own accept
 * fails too.
 */
object FdExhaustion : ChaosPhase {
    override val key = "fd_exhaustion"
    override val title = "fd exhaustion: the primary's open-files limit at its open count for $SECONDS s, a worker killed at 1 s"

    private const val SECONDS = 10

    override fun act(cluster: PhaseCluster, random: Random): String {
        val pid = cluster.server.pid
        val (soft, hard) = limits(pid)
        val victim = cluster.servingPids().randomOrNull(random) // chosen first: the admin socket needs descriptors
        val open = File("/proc/$pid/fd").list()!!.size
        prlimit(pid, "$open:$hard")
        try {
            Thread.sleep(1_000)
            victim?.let { ProcessHandle.of(it).ifPresent(ProcessHandle::destroyForcibly) }
            Thread.sleep((SECONDS - 1) * 1_000L)
            check(cluster.server.isAlive) { "the primary exited while out of descriptors" }
            return "limit $open (was $soft) for $SECONDS s; killed ${victim ?: "no worker"}"
        } finally {
            if (cluster.server.isAlive) prlimit(pid, "$soft:$hard")
        }
    }

    /** The soft and hard `Max open files` of /proc/PID/limits. */
    private fun limits(pid: Long): Pair<String, String> {
        val row = File("/proc/$pid/limits").readLines().first { it.startsWith("Max open files") }
        val fields = row.removePrefix("Max open files").trim().split(Regex("\\s+"))
        return fields[0] to fields[1]
    }

    private fun prlimit(pid: Long, nofile: String) {
        val run = ProcessBuilder("prlimit", "--pid", "$pid", "--nofile=$nofile").inheritIO().start()
        check(run.waitFor() == 0) { "prlimit --pid $pid --nofile=$nofile failed" }
    }
}
