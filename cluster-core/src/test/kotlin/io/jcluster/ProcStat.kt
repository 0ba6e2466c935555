package io.jcluster

import java.io.File

/** What /proc says of a process (Linux): its session, and the signals it ignores. */
object ProcStat {
    /** The session id: field 6 of /proc/PID/stat, counted after the command's closing ')' (the command may hold spaces). */
    fun session(pid: Long): Long = File("/proc/$pid/stat").readText().substringAfterLast(')').trim().split(' ')[3].toLong()

    /** The [Signal]s whose bits are set in `SigIgn:` of /proc/PID/status (bit n-1 for signal number n). */
    fun ignoredSignals(pid: Long): Set<Signal> {
        val mask = File("/proc/$pid/status").readLines().first { it.startsWith("SigIgn:") }.substringAfter(':').trim().toULong(16)
        return Signal.entries.filter { mask and (1uL shl (it.number - 1)) != 0uL }.toSet()
    }
}
