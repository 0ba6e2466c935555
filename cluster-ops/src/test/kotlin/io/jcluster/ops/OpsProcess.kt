package io.jcluster.ops

import io.jcluster.ClusterConfig
import io.jcluster.Signal
import io.jcluster.ipc.Ipc
import io.kotest.assertions.withClue
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.future.await
import kotlinx.coroutines.withTimeout

/**
 * A real primary ([OpsTestPrimary]) in a JVM of its own, started by a spec, and what it printed on
 * stdout ([EventPrinter]'s lines, and the workers' relayed output). [close] kills it, its workers and
 * anything else it started, and deletes its scratch directory.
 */
class OpsProcess private constructor(private val process: Process, val scratch: Path) : AutoCloseable {
    private val lines = MutableStateFlow<List<String>>(emptyList())
    private val workerPids = HashSet<Long>()
    private val primaryPids = LinkedHashSet<Long>()

    init {
        Thread({
            process.inputStream.bufferedReader().forEachLine { line ->
                lines.update { it + line }
                if (line.startsWith("READY ")) synchronized(workerPids) { workerPids += line.split(' ')[2].toLong() }
                // A primary an upgrade started outlives this one, no longer its descendant: kill it too.
                if (line.startsWith("PRIMARY ")) synchronized(workerPids) { primaryPids += line.split(' ')[1].toLong() }
            }
        }, "ops-primary-stdout").apply { isDaemon = true; start() }
    }

    val pid: Long = process.pid()

    /** Every stdout line so far. */
    val output: List<String> get() = lines.value

    /** The primary's stderr so far (its log, unless the logger plugin took it). */
    val stderr: String get() = Files.readString(scratch.resolve("primary.stderr"))

    /** Waits until [count] stdout lines pass [test]; returns them. */
    suspend fun await(count: Int = 1, timeout: Duration = 60.seconds, test: (String) -> Boolean): List<String> =
        withClue({ "waiting for $count lines like that; stdout so far:\n${output.joinToString("\n")}\nstderr:\n$stderr" }) {
            withTimeout(timeout) { lines.first { all -> all.count(test) >= count }.filter(test).take(count) }
        }

    /** Waits for a stdout line equal to [line]. */
    suspend fun await(line: String, timeout: Duration = 60.seconds): String = await(1, timeout) { it == line }.single()

    /**
     * Waits until every slot is ready (`P Listening`) and [workers] `READY` lines are out: the primary's
     * events and its workers' are printed by two collectors, and either may come first.
     */
    suspend fun awaitListening(workers: Int = 2) {
        await("P Listening")
        await(workers) { it.startsWith("READY ") }
    }

    /** Waits until the stdout lines so far, taken together, pass [test]. */
    suspend fun awaitOutput(timeout: Duration = 60.seconds, test: (List<String>) -> Boolean) {
        withClue({ "stdout so far:\n${output.joinToString("\n")}\nstderr:\n$stderr" }) { withTimeout(timeout) { lines.first(test) } }
    }

    /**
     * Waits until the primary's stderr (written by its logger as it goes) contains [text]. The file
     * has no change notification worth its complexity here: it is read every 20 ms, within [timeout].
     */
    suspend fun awaitStderr(text: String, timeout: Duration = 30.seconds) {
        withClue({ "waiting for \"$text\" on the primary's stderr:\n$stderr" }) {
            withTimeout(timeout) { while (text !in stderr) delay(20.milliseconds) }
        }
    }

    /** The ids of the workers that are ready and have not exited, by [EventPrinter]'s lines. */
    fun liveWorkers(): Map<Int, Long> {
        val live = LinkedHashMap<Int, Long>()
        for (line in output) {
            val parts = line.split(' ')
            when (parts[0]) {
                "READY" -> live[parts[1].toInt()] = parts[2].toLong()
                "EXITED" -> live.remove(parts[1].toInt())
            }
        }
        return live
    }

    /** Sends [signal] to the primary, the way an operator's `kill -s` does. */
    fun signal(signal: Signal) {
        val kill = ProcessBuilder("kill", "-s", signal.name, pid.toString()).inheritIO().start()
        check(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0) { "kill -s $signal $pid failed" }
    }

    /** Waits for the primary to exit; returns its exit value. */
    suspend fun awaitExit(timeout: Duration = 30.seconds): Int = withTimeout(timeout) { process.onExit().await().exitValue() }

    override fun close() {
        val started = process.descendants().toList() +
            synchronized(workerPids) { (primaryPids + workerPids).mapNotNull { ProcessHandle.of(it).orElse(null) } }
        process.destroyForcibly()
        started.forEach { it.destroyForcibly() }
        process.waitFor(10, TimeUnit.SECONDS)
        started.forEach { runCatching { it.onExit().get(10, TimeUnit.SECONDS) } }
        scratch.toFile().deleteRecursively()
    }

    companion object {
        /**
         * Starts [main] ([OpsTestPrimary] by default) on [classpath] with [environment] (see [opsTestConfig]) and [jvmFlags], through
         * [wrapper] (by default `env --default-signal=INT`: a JVM inherits an ignored `INT` from a
         * shell's background job, and the specs need it handled).
         */
        fun start(
            environment: Map<String, String> = emptyMap(),
            jvmFlags: List<String> = emptyList(),
            wrapper: List<String> = listOf("env", "--default-signal=INT"),
            scratch: Path = Files.createTempDirectory("jcluster-ops"),
            main: String = OpsTestPrimary::class.java.name,
            classpath: String = System.getProperty("java.class.path"),
        ): OpsProcess {
            val command = wrapper + listOf(Path.of(System.getProperty("java.home"), "bin", "java").toString()) + Ipc.jvmFlags + jvmFlags + listOf(
                "-Djava.io.tmpdir=$scratch",
                "-cp", classpath,
                main,
            )
            val builder = ProcessBuilder(command).redirectError(scratch.resolve("primary.stderr").toFile())
            builder.environment().putAll(environment + mapOf(ClusterConfig.ENVIRONMENT to "test"))
            return OpsProcess(builder.start(), scratch)
        }
    }
}
