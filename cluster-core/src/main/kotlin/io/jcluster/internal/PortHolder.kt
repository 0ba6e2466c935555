package io.jcluster.internal

import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.isDirectory
import kotlin.io.path.listDirectoryEntries
import kotlin.io.path.name

/**
 * Who holds a TCP port, where Linux tells: `/proc/net/tcp{,6}` gives the socket's inode and owner's
 * uid, and the `/proc/<pid>/fd` links we may read give its process (lsof's method). Best effort: no
 * /proc, a process of another user, or a port freed meanwhile give less or null, never an error.
 */
internal object PortHolder {
    private const val LISTEN = "0A"
    private const val SCAN_BUDGET_NANOS = 500_000_000L

    /** A short description of the holder of [port] (`pid 1234, java`, or `a process of uid 1000`), or null. */
    fun describe(port: Int, proc: Path = Path.of("/proc")): String? = runCatching {
        val socket = listOf("tcp", "tcp6").firstNotNullOfOrNull { socketOn(port, proc.resolve("net").resolve(it)) } ?: return null
        val pid = ownerOf(socket.inode, proc)
        if (pid == null) "a process of uid ${socket.uid}" else "pid $pid, ${commandOf(pid, proc)}"
    }.getOrNull()

    private class Socket(val inode: String, val uid: String)

    /** The socket bound to [port] in [table], a listening one first. */
    private fun socketOn(port: Int, table: Path): Socket? {
        if (!Files.isReadable(table)) return null
        val rows = Files.readAllLines(table).drop(1).map { it.trim().split(Regex("\\s+")) }.filter { it.size > 9 }
        val onPort = rows.filter { it[1].substringAfterLast(':').toIntOrNull(16) == port && it[9] != "0" }
        val row = onPort.firstOrNull { it[3] == LISTEN } ?: onPort.firstOrNull() ?: return null
        return Socket(row[9], row[7])
    }

    /** The pid with an fd on `socket:[inode]`, among the processes whose fds we may read. */
    private fun ownerOf(inode: String, proc: Path): Long? {
        val target = "socket:[$inode]"
        val deadline = System.nanoTime() + SCAN_BUDGET_NANOS
        for (process in proc.listDirectoryEntries().filter { it.name.all(Char::isDigit) && it.isDirectory() }) {
            if (System.nanoTime() > deadline) return null
            val fds = runCatching { process.resolve("fd").listDirectoryEntries() }.getOrNull() ?: continue
            if (fds.any { fd -> runCatching { Files.readSymbolicLink(fd).toString() == target }.getOrDefault(false) }) return process.name.toLong()
        }
        return null
    }

    private fun commandOf(pid: Long, proc: Path): String =
        runCatching { Files.readString(proc.resolve("$pid").resolve("comm")).trim() }.getOrNull()?.ifEmpty { null } ?: "command unknown"
}
