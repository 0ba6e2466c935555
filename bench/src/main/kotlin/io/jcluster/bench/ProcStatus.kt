package io.jcluster.bench

import java.io.File

/**
 * What /proc (Linux) says of a process: its open descriptors (`/proc/PID/fd`) and threads (`Threads:`
 * of `/proc/PID/status`), the figures that show a primary leaking under churn.
 */
data class ProcStatus(val fds: Int, val threads: Int) {
    override fun toString() = "$fds fds, $threads threads"

    companion object {
        fun of(pid: Long): ProcStatus = ProcStatus(
            fds = checkNotNull(File("/proc/$pid/fd").list()) { "no /proc/$pid/fd: process $pid is gone" }.size,
            threads = field(pid, "Threads").toInt(),
        )

        /** Alive and not a zombie (a child killed but not reaped yet still has a pid). */
        fun isRunning(pid: Long): Boolean = runCatching { !field(pid, "State").startsWith("Z") }.getOrDefault(false)

        private fun field(pid: Long, name: String): String =
            File("/proc/$pid/status").readLines().first { it.startsWith("$name:") }.substringAfter(':').trim()
    }
}
