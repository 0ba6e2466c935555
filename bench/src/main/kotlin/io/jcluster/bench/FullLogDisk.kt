package io.jcluster.bench

import java.io.IOException
import java.nio.file.Files
import kotlin.random.Random

/**
 * bin/hello-cluster's `--log-dir` (a small tmpfs the driver mounts) fills up: workers are killed while
 * it is full, so that the primary has lifecycle lines and the replacements' output to write; then the
 * space comes back, `USR1` reopens the logs, and one more kill must reach the log again. Node's
 * cluster has no logger, so it has no peer.
 */
object FullLogDisk : ChaosPhase {
    override val key = "full_log_disk"
    override val title = "full log disk: the log tmpfs full for 7 s with 2 kills, then freed, USR1, a kill"

    override fun skipFor(target: ReloadTarget, cluster: PhaseCluster) = when {
        cluster.admin == null -> "Node's cluster has no logger"
        cluster.logDir == null -> "no tmpfs for the log directory (mount failed; see above)"
        else -> null
    }

    override fun act(cluster: PhaseCluster, random: Random): String {
        val dir = checkNotNull(cluster.logDir)
        // Rotated first: a log file's last page has room left, and tmpfs would take lines into it.
        Files.list(dir).use { it.toList() }.filter { it.fileName.toString().endsWith(".log") }.forEach { Files.move(it, it.resolveSibling("${it.fileName}.1")) }
        sendSignal(cluster.server.pid, "USR1")
        Thread.sleep(500)
        val filler = dir.resolve("filler.bin")
        fill(filler)
        val full = cluster.logBytes()
        repeat(2) {
            cluster.killServing(random)
            Thread.sleep(3_500)
        }
        val whileFull = cluster.logBytes() - full
        Files.delete(filler)
        sendSignal(cluster.server.pid, "USR1")
        Thread.sleep(500)
        val freed = cluster.logBytes()
        cluster.killServing(random)
        Thread.sleep(3_000)
        val drops = dir.toFile().walk().filter { it.isFile && it.name.endsWith(".log") }
            .flatMap { file -> file.readLines().filter { it.contains("dropped", ignoreCase = true) } }.toList()
        return "$whileFull bytes logged while full; ${cluster.logBytes() - freed} bytes after space came back; " +
            (drops.firstOrNull()?.substringAfter(" | ")?.let { "${drops.size} lines report drops, first: $it" } ?: "no line reports drops")
    }

    /** Writes [filler] until the file system refuses. */
    private fun fill(filler: java.nio.file.Path) {
        val block = ByteArray(4096)
        Files.newOutputStream(filler).use { out ->
            try {
                while (true) out.write(block)
            } catch (_: IOException) {
                // full
            }
        }
    }
}
