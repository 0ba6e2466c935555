package io.jcluster.bench

import java.io.File

/**
 * What /proc (Linux) says of a process: its open descriptors (`/proc/PID/fd`) and threads (`Threads:`
 * of `/proc/PID/status`), the figures that show a primary leaking under churn; and, for any pid, its
 * CPU time and resident set.
 */
data class ProcStatus(val fds: Int, val threads: Int) {
    override fun toString() = "$fds fds, $threads threads"

    companion object {
        fun of(pid: Long): ProcStatus = ProcStatus(
            fds = checkNotNull(File("/proc/$pid/fd").list()) { "no /proc/$pid/fd: process $pid is gone" }.size,
            threads = field(pid, "Threads").toInt(),
        )

        /** utime + stime of /proc/PID/stat (fields 14 and 15, counted after the command's ')', which may hold spaces), in ticks of 10 ms; null once gone. */
        fun cpuTicks(pid: Long): Long? = runCatching {
            val fields = File("/proc/$pid/stat").readText().substringAfterLast(')').trim().split(' ')
            fields[11].toLong() + fields[12].toLong()
        }.getOrNull()

        /** The resident set (`VmRSS:` of /proc/PID/status) in bytes; null once gone. */
        fun residentBytes(pid: Long): Long? = runCatching { field(pid, "VmRSS").removeSuffix("kB").trim().toLong() * 1024 }.getOrNull()

        /** Alive and not a zombie (a child killed but not reaped yet still has a pid). */
        fun isRunning(pid: Long): Boolean = runCatching { !field(pid, "State").startsWith("Z") }.getOrDefault(false)

        private fun field(pid: Long, name: String): String =
            File("/proc/$pid/status").readLines().first { it.startsWith("$name:") }.substringAfter(':').trim()
    }
}
