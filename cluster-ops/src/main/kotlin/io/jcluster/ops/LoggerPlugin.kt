package io.jcluster.ops

import io.jcluster.ClusterPlugin
import io.jcluster.ManagedCluster
import io.jcluster.Worker
import io.jcluster.WorkerEvent
import io.jcluster.WorkerOutput
import io.jcluster.ops.internal.LogFile
import java.io.ByteArrayOutputStream
import java.io.OutputStream
import java.io.PrintStream
import java.lang.System.Logger.Level
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.ConcurrentHashMap

/**
 * [Plugins.logger]: `master.log` (the primary's stdout and stderr, its own log among them, and at
 * [level] the cluster's lifecycle) and one file per worker slot, `worker.<slot>.log` (`fork.<id>.log`
 * for a worker of `fork()`), with the output of every worker that held the slot. Each line reads
 * `<UTC timestamp> <who> <stream> | <text>`, `who` being `primary` or `worker <id>`; lines are written
 * whole, one at a time per file. [onReopenLogs] (`USR1`) closes and reopens every file at its path,
 * so that logrotate's moved files are let go and new ones begin. A full disk drops lines, counted,
 * and never stops the workers' pumps: see [LogFile].
 */
internal class LoggerPlugin(private val dir: Path, private val level: Level) : ClusterPlugin {
    override val name: String = "logger"
    private val files = ConcurrentHashMap<String, LogFile>()
    private val master by lazy { file(MASTER) }
    private var console: Pair<PrintStream, PrintStream>? = null

    override fun onStarting(cluster: ManagedCluster) {
        Files.createDirectories(dir)
        console = System.out to System.err
        System.setOut(PrintStream(LineStream { master.write("primary out | $it") }, true))
        System.setErr(PrintStream(LineStream { master.write("primary err | $it") }, true))
        cluster.workerOutput = WorkerOutput { id, stream, text ->
            val slot = cluster.primary.workers.value[id]?.slot
            file(if (slot != null) "worker.$slot.log" else "fork.$id.log").write("worker $id ${if (stream == WorkerOutput.Stream.STDOUT) "out" else "err"} | $text")
        }
        say(Level.INFO, "starting, pid ${ProcessHandle.current().pid()}")
    }

    override fun whenReady(cluster: ManagedCluster) = say(Level.INFO, "ready: ${cluster.primary.activeWorkers().size} workers")

    override fun afterFork(cluster: ManagedCluster, worker: Worker) = say(Level.DEBUG, "forked worker ${worker.id} (slot ${worker.slot}, pid ${worker.pid})")

    override fun onWorkerExit(cluster: ManagedCluster, exit: WorkerEvent.Exited) =
        say(if (exit.exitedAfterDisconnect) Level.DEBUG else Level.WARNING, "worker ${exit.worker.id} exited: ${exit.reason}, ${exit.exit}")

    override fun onRestart(cluster: ManagedCluster) = say(Level.INFO, "restarting the workers")

    override fun onReopenLogs(cluster: ManagedCluster) {
        files.values.forEach { it.reopen() }
        say(Level.INFO, "reopened the log files")
    }

    override fun onExit(cluster: ManagedCluster) {
        say(Level.INFO, "closed")
        console?.let { (out, err) -> System.setOut(out); System.setErr(err) }
        files.values.forEach { it.close() }
    }

    private fun say(at: Level, text: String) {
        if (at.severity >= level.severity) master.write("primary $at | $text")
    }

    private fun file(name: String): LogFile = files.computeIfAbsent(name) { LogFile(dir.resolve(it), ::warnConsole) }

    /** To the console the primary had before this plugin took its stderr: master.log may be the file that fails. */
    private fun warnConsole(text: String) {
        (console?.second ?: System.err).println("jcluster logger: $text")
    }

    private companion object {
        const val MASTER = "master.log"
    }
}

/** Bytes in, whole lines out (without the line break, a trailing `\r` dropped); [PrintStream] serializes writers. */
private class LineStream(private val line: (String) -> Unit) : OutputStream() {
    private val buffer = ByteArrayOutputStream()

    @Synchronized
    override fun write(b: Int) {
        if (b == '\n'.code) emit() else buffer.write(b)
    }

    @Synchronized
    override fun write(b: ByteArray, off: Int, len: Int) {
        for (i in off until off + len) write(b[i].toInt())
    }

    private fun emit() {
        line(buffer.toString(Charsets.UTF_8).removeSuffix("\r"))
        buffer.reset()
    }
}
