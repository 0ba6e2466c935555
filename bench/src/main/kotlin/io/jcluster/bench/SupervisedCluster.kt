package io.jcluster.bench

import java.io.IOException
import java.util.concurrent.TimeUnit

/**
 * A supervised cluster (bin/hello-cluster, bench/node/reload-cluster.js) as `bench/run reload`
 * drives it through its primary: signals in, [ClusterLine]s out. Its workers are known from their
 * `listening` lines; every wait is bounded and, when it runs out, says which line did not come.
 */
class SupervisedCluster(val server: ServerProcess, private val workers: Int) {
    private val listened = mutableListOf<ClusterLine.Listening>()

    private val died = mutableListOf<ClusterLine.Died>()

    /** How a killed worker was replaced: kill → the replacement's `listening` line, the connections the killed one held, its pid. */
    data class Respawn(val listeningMillis: Long, val connections: Int, val victim: Long)

    /** The `died` lines read so far: one per worker that exited without being asked. */
    val deaths: Int get() = died.size

    fun awaitListening() {
        read(START_SECONDS, "$workers `listening` lines") { _, _ -> Unit.takeIf { listened.size >= workers } }
    }

    /** SIGHUP, then `reloading` and `reloaded` with every worker replaced; returns SIGHUP → `reloaded` in ms. */
    fun reload(): Long {
        val before = listened.size
        val start = System.nanoTime()
        signalPrimary("HUP")
        read(REPLY_SECONDS, "`reloading` line after SIGHUP to the primary (pid ${server.pid})") { line, _ -> line.takeIf { it == ClusterLine.Reloading } }
        val end = read(RELOAD_SECONDS, "`reloaded` line") { line, raw ->
            if (line is ClusterLine.ReloadFailed) throw IOException("reload failed: ${line.why}")
            raw.nanos.takeIf { line == ClusterLine.Reloaded }
        }
        val fresh = listened.size - before
        check(fresh >= workers) { "`reloaded` after $fresh new `listening` lines: not every one of the $workers workers was replaced" }
        return (end - start) / 1_000_000
    }

    /** SIGKILL to one worker ([pick] chooses among the live ones: the first by default), then the `listening` line of its replacement. */
    fun killOne(port: Int, pick: (List<ProcessHandle>) -> ProcessHandle = { it.first() }): Respawn {
        val victim = liveWorkers().ifEmpty { throw IOException("no live worker to kill") }.let(pick)
        val connections = TcpConnections.established(victim.pid(), port)
        val start = System.nanoTime()
        check(victim.destroyForcibly()) { "SIGKILL to worker pid ${victim.pid()} failed" }
        val end = read(RESPAWN_SECONDS, "`listening` line of a new worker after SIGKILL to worker pid ${victim.pid()}") { line, raw ->
            raw.nanos.takeIf { line is ClusterLine.Listening }
        }
        return Respawn((end - start) / 1_000_000, connections, victim.pid())
    }

    /** The primary's children that said they listen and run (a killed one not reaped yet is a zombie: not counted). */
    fun liveWorkers(): List<ProcessHandle> {
        val pids = listened.map { it.pid }.toSet()
        return ProcessHandle.of(server.pid).map { it.children().filter { child -> child.pid() in pids && ProcStatus.isRunning(child.pid()) }.toList() }
            .orElse(emptyList())
    }

    private fun signalPrimary(signal: String) = sendSignal(server.pid, signal)

    /** Reads lines until [done] returns a value, echoing them (less the primary's `numReqs` ticks). */
    private fun <T : Any> read(timeoutSeconds: Long, awaited: String, done: (ClusterLine, ServerProcess.Line) -> T?): T {
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds)
        while (true) {
            val raw = server.next(deadline, "$awaited within $timeoutSeconds s")
            val line = ClusterLine.parse(raw.text)
            if (line is ClusterLine.Listening) listened += line
            if (line is ClusterLine.Died) died += line
            if (!raw.text.startsWith("numReqs")) println("   | ${raw.text}")
            done(line, raw)?.let { return it }
        }
    }

    private companion object {
        const val START_SECONDS = 60L
        const val REPLY_SECONDS = 10L
        const val RELOAD_SECONDS = 60L
        const val RESPAWN_SECONDS = 30L
    }
}
