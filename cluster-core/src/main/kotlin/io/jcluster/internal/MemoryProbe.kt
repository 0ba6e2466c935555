package io.jcluster.internal

import java.nio.file.Files
import java.nio.file.Path

/** Reads a process's resident set size; an interface so that unit specs can fake it. */
internal fun interface MemoryProbe {
    /** The resident set of process [pid] in bytes, or null if it cannot be read (gone, not Linux). */
    fun residentBytes(pid: Long): Long?

    companion object {
        /** Linux's `VmRSS` from `/proc/<pid>/status` (PM2 reads the same figure). */
        val proc = MemoryProbe { pid ->
            runCatching {
                Files.readAllLines(Path.of("/proc/$pid/status")).firstOrNull { it.startsWith("VmRSS:") }
                    ?.split(Regex("\\s+"))?.getOrNull(1)?.toLong()?.times(1024)
            }.getOrNull()
        }
    }
}
