package io.jcluster.internal

import io.jcluster.WorkerOutput
import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ExitStatus
import io.jcluster.Signal
import io.jcluster.Stdio
import java.io.IOException
import java.io.InputStream
import java.util.concurrent.TimeUnit

private val log = KotlinLogging.logger {}

/**
 * Starts real processes with [ProcessBuilder] and relays their output as [Stdio] says.
 *
 * Each worker starts with `INT` and `HUP` ignored, through `/bin/sh`, which sets that and execs the
 * JVM in place (so the pid stays the one the primary knows); HotSpot keeps a signal ignored that it
 * inherited ignored. Ctrl-C in a terminal signals the whole foreground process group, and a hangup
 * the terminal's jobs: the workers should hear of either from their primary, which stops them as its
 * signal map says, not from the terminal. A worker still dies with its primary: its control channel closes.
 *
 * The workers stay in the primary's session and process group, not in a session of their own
 * (`setsid`): where Linux groups CPU time by session (autogroup, on by default for processes outside
 * a CPU cgroup), each such worker would be a scheduling group of its own, competing with the rest of
 * the machine as one more session instead of as a part of one program. Measured with `bench/run http`
 * on two cores shared with wrk: one worker served 0.76–0.93× the requests of the same server in one
 * JVM with `Connection: close` in a session of its own, 0.99–1.02× in the primary's. The price: a
 * worker JVM starting under load shares the CPU with the load thread by thread instead of as a group
 * of its own, so a replacement listens later (`bench/run chaos`: p50 371 ms, max 558 ms after a kill,
 * from 209 and 400 ms). A `TERM` to the whole process group (not what systemd with `KillMode=mixed`,
 * Kubernetes or Docker send) reaches the workers too.
 */
internal object JvmProcessLauncher : ProcessLauncher {
    /** Ignores the terminal's signals, then becomes the worker JVM: `sh -c SCRIPT jcluster-worker java …`. */
    private val ignoringTerminalSignals = listOf("/bin/sh", "-c", "trap '' INT HUP && exec \"\$@\"", "jcluster-worker")

    override fun launch(spec: LaunchSpec): LaunchedProcess {
        val builder = ProcessBuilder(ignoringTerminalSignals + spec.command)
        spec.workingDirectory?.let { builder.directory(it.toFile()) }
        builder.environment().keys.removeAll(PRIMARY_ONLY)
        builder.environment().putAll(spec.environment)
        when (spec.stdio) {
            Stdio.INHERIT -> builder.inheritIO()
            Stdio.PIPE -> builder.redirectInput(ProcessBuilder.Redirect.INHERIT)
            Stdio.SILENT -> builder.redirectOutput(ProcessBuilder.Redirect.DISCARD)
        }
        return RealProcess(builder.start(), spec)
    }

    private class RealProcess(private val process: Process, spec: LaunchSpec) : LaunchedProcess {
        private val stderrHead = ArrayList<String>()
        private val pumps = buildList {
            val output = spec.output.takeIf { spec.stdio == Stdio.PIPE }
            if (spec.stdio == Stdio.PIPE) add(pump(process.inputStream, output, WorkerOutput.Stream.STDOUT, spec.workerId, keepHead = false))
            if (spec.stdio != Stdio.INHERIT) add(pump(process.errorStream, output, WorkerOutput.Stream.STDERR, spec.workerId, keepHead = true))
        }

        private val workerId = spec.workerId
        private val token = spec.environment[WorkerEnvironment.TOKEN].orEmpty()

        override val pid: Long = process.pid()
        override val handle: ProcessHandle = process.toHandle()

        override fun onExit(listener: (ExitStatus, List<String>) -> Unit) {
            process.onExit().thenRun {
                // Let the pumps read what the process wrote last (a crash's stack trace) before reporting.
                pumps.forEach { it.join(STDERR_DRAIN_MILLIS) }
                listener(ExitStatus.fromExitValue(process.exitValue()), synchronized(stderrHead) { stderrHead.toList() })
                // After the report: looking through /proc must not delay the exit's handling (a respawn).
                runCatching { LeftoverProcesses.stop(workerId, token, pid) }.onFailure { log.warn { "could not look for what worker $workerId left running: $it" } }
            }
        }

        override fun signal(signal: Signal) {
            if (!process.isAlive) return
            when (signal) {
                Signal.TERM -> process.destroy()
                Signal.KILL -> process.destroyForcibly()
                else -> ProcessBuilder("kill", "-${signal.name}", pid.toString()).start().waitFor(5, TimeUnit.SECONDS)
            }
        }

        /**
         * Copies lines from [input] to [out] (if any) as [workerId]'s [stream], keeping the first ones
         * (if [keepHead]) in [stderrHead], and the JVM's last words out of memory from either stream,
         * which tell its exit apart from a crash ([OutOfMemory]).
         */
        private fun pump(input: InputStream, out: WorkerOutput?, stream: WorkerOutput.Stream, workerId: Int, keepHead: Boolean): Thread =
            Thread({
                var failures = 0
                try {
                    input.bufferedReader().useLines { lines ->
                        lines.forEach { line ->
                            // Whole lines only: lines of different workers never interleave mid-line. An
                            // output that fails loses its line, never the pump: the worker must not block on a full pipe.
                            try {
                                out?.line(workerId, stream, line)
                            } catch (e: Exception) {
                                if (failures++ == 0) log.error(e) { "worker $workerId's output failed; its lines are dropped while it does" }
                            }
                            synchronized(stderrHead) {
                                if (keepHead && stderrHead.size < STDERR_HEAD_LINES || line.startsWith(OutOfMemory.LAST_WORDS)) stderrHead += line
                            }
                        }
                    }
                } catch (_: IOException) {
                    // "Stream closed": Process.destroy() (TERM, KILL) closes the pipes under a read in
                    // progress. The worker is being killed; what it had not yet written is lost with it.
                }
            }, "jcluster-stdio-${process.pid()}").apply { isDaemon = true; start() }
    }

    /**
     * What the service manager gave the primary alone: systemd's notify socket and watchdog (a worker
     * that notified would speak for the service under `NotifyAccess=all`) and socket activation (the
     * primary adopted the sockets; a worker would think them its own), and an upgrade's socket.
     */
    private val PRIMARY_ONLY = setOf("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", Succession.SOCKET, Succession.TOKEN)

    private const val STDERR_HEAD_LINES = 20
    private const val STDERR_DRAIN_MILLIS = 1_000L
}
