package io.jcluster.bench

import io.jcluster.apps.FixtureApp
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/**
 * A fixture app running for `bench/run apps`: as one JVM, or as a cluster of `jcluster run` (the
 * launcher jar, as `bin/jcluster run` starts it, with the [java] the app needs). Its merged output is
 * read line by line for the app's ready line, which also names the serving process's pid.
 */
class AppRun private constructor(
    private val app: FixtureApp,
    private val command: List<String>,
    val port: Int,
    val label: String,
    private val processes: Int,
) : AutoCloseable {
    val isCluster: Boolean get() = processes > 1

    private val lines = LinkedBlockingQueue<String>()
    private val seen = ArrayList<String>() // every line, for the agent's timings
    /** Milliseconds from the start of the command until every process served. */
    var readyMillis: Long = 0
        private set

    private var process = start()
    private var serving: Set<Long> = awaitServing(emptySet())

    /** TERM to the one JVM, then the same command again (a deploy without a cluster); ms until it serves again. */
    fun restart(): Long {
        val start = System.nanoTime()
        stop()
        process = start()
        serving = awaitServing(emptySet())
        return (System.nanoTime() - start) / 1_000_000
    }

    /** HUP to the primary; returns once new workers serve and the old ones have gone, with the ms that took. */
    fun reload(): Long {
        val start = System.nanoTime()
        sendSignal(process.pid(), "HUP")
        val old = serving
        serving = awaitServing(old)
        old.forEach { pid -> ProcessHandle.of(pid).ifPresent { it.onExit().get(DEADLINE_SECONDS, TimeUnit.SECONDS) } }
        return (System.nanoTime() - start) / 1_000_000
    }

    /** What the agent printed about its start in each worker, averaged. */
    fun agentTimings(): AgentTimings {
        fun average(regex: Regex) = synchronized(seen) { seen.mapNotNull { regex.find(it)?.groupValues?.get(1)?.toDouble() } }.average().takeIf { !it.isNaN() }
        // An agent before the background instrumentation printed only "instrumented in", from premain.
        return AgentTimings(average(PREMAIN) ?: average(INSTRUMENTED), average(INSTRUMENTED).takeIf { average(PREMAIN) != null }, average(JOINED))
    }

    override fun close() = stop()

    private fun stop() {
        val all = listOf(process.toHandle()) + process.descendants().toList()
        process.destroy()
        if (!process.waitFor(DEADLINE_SECONDS, TimeUnit.SECONDS)) System.err.println("$label did not stop within $DEADLINE_SECONDS s; killed")
        all.forEach { it.destroyForcibly() }
        lines.clear()
    }

    private fun start(): Process {
        val started = ProcessBuilder(command).redirectErrorStream(true).start()
        Thread({
            runCatching { started.inputStream.bufferedReader().forEachLine { line -> lines.put(line); synchronized(seen) { seen += line } } }
        }, "app-output").apply { isDaemon = true }.start()
        return started
    }

    /** Waits for [processes] ready lines from pids not in [old]; sets [readyMillis]. */
    private fun awaitServing(old: Set<Long>): Set<Long> {
        val start = System.nanoTime()
        val deadline = start + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS)
        val pids = HashSet<Long>()
        while (pids.size < processes) {
            val line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)
                ?: error("$label: ${pids.size} of $processes processes served within $DEADLINE_SECONDS s (exit: ${if (process.isAlive) "running" else process.exitValue()})")
            val pid = app.readyLine.find(line)?.groupValues?.get(2)?.toLong() ?: continue
            if (pid !in old) pids += pid
        }
        readyMillis = (System.nanoTime() - start) / 1_000_000
        return pids
    }

    /**
     * The agent's own figures, in ms: `premain` (what it adds before the app's `main`), the
     * instrumentation and the join with the primary (both on threads of their own, as the app starts).
     */
    data class AgentTimings(val premainMillis: Double?, val instrumentMillis: Double?, val joinMillis: Double?) {
        override fun toString() = "premain %s ms, instrumented in %s ms, joined in %s ms (means over the workers)"
            .format(*listOf(premainMillis, instrumentMillis, joinMillis).map { it?.let { "%.0f".format(it) } }.toTypedArray())
    }

    companion object {
        private const val DEADLINE_SECONDS = 120L
        private val PREMAIN = Regex("""jcluster agent: premain in (\d+) ms""")
        private val INSTRUMENTED = Regex("""jcluster agent: instrumented in (\d+) ms""")
        private val JOINED = Regex("""jcluster agent: joined in (\d+) ms""")

        fun single(app: FixtureApp, java: Path): AppRun {
            val port = ServerProcess.freePort()
            return AppRun(app, app.command(java, port), port, "one JVM", processes = 1)
        }

        fun cluster(app: FixtureApp, java: Path, workers: Int): AppRun {
            val port = ServerProcess.freePort()
            val scratch = Files.createTempDirectory("jcluster-bench-apps").also { it.toFile().deleteOnExit() }
            val command = listOf(java.toString(), "-Djcluster.agent.jar=cluster-agent/target/jcluster-agent.jar", "-jar", "cluster-run/target/jcluster-run.jar",
                "--workers", "$workers", "--control-socket", "${scratch.resolve("control.sock")}", "--") +
                listOf("-Djcluster.agent.timing=true") + app.javaArgs(port)
            return AppRun(app, command, port, "jcluster run --workers $workers", processes = workers)
        }
    }
}
