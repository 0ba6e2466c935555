package io.jcluster.bench

import java.io.File
import java.nio.file.Files

/**
 * The established TCP connections a process holds on a local port, from /proc (Linux): the inodes of
 * its socket descriptors matched against /proc/net/tcp and tcp6 (a JVM's IPv4 sockets are often IPv6
 * ones). wrk keeps one request in flight per connection, so for a server process this bounds the
 * requests that die with it.
 */
object TcpConnections {
    private const val ESTABLISHED = "01"

    fun established(pid: Long, port: Int): Int {
        val inodes = socketInodes(pid)
        return listOf("tcp", "tcp6").sumOf { table ->
            File("/proc/net/$table").readLines().drop(1).count { row ->
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
                val fields = row.trim().split(Regex("\\s+"))
                fields[3] == ESTABLISHED && fields[1].substringAfterLast(':').toInt(16) == port && fields[9] in inodes
            }
        }
    }

    private fun socketInodes(pid: Long): Set<String> = File("/proc/$pid/fd").listFiles().orEmpty().mapNotNull { fd ->
        runCatching { Files.readSymbolicLink(fd.toPath()).toString() }.getOrNull()
            ?.let { Regex("""socket:\[(\d+)]""").matchEntire(it)?.groupValues?.get(1) }
    }.toSet()
}
