package io.jcluster.bench

import io.jcluster.SharingStrategy
import io.jcluster.ipc.Ipc
import java.io.IOException
import java.net.ServerSocket
import java.nio.file.Path
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/**
 * A server `bench/run http` measures: how to start it, what to call it in the report, and its
 * [group]: the targets of one group (one adapter's, or Node's) are measured side by side, taking turns.
 */
sealed class HttpTarget(val key: String, val label: String, val group: String) {
    abstract fun command(port: Int): List<String>

    /** Whether `replace` replaces its workers (a single JVM has none). */
    open val replaces: Boolean get() = true

    /** The Lua script wrk runs against it; null: none, every request the same. */
    open val wrkScript: Path? get() = null

    override fun toString() = label

    /** The bench server in one JVM, no cluster. */
    class Single(val adapter: HelloWorld) : HttpTarget("${adapter}_single", "$adapter single JVM", "$adapter") {
        override fun command(port: Int) = jvm(adapter, port, 0, null)
        override val replaces: Boolean get() = false
    }

    /** A jcluster primary with [WORKERS] workers. */
    class Clustered(val adapter: HelloWorld, val strategy: SharingStrategy) :
        HttpTarget("${adapter}_${strategy.configName.replace('-', '_')}", "$adapter $strategy", "$adapter") {
        override fun command(port: Int) = jvm(adapter, port, WORKERS, strategy)
    }

    /**
     * A jcluster primary with [WORKERS] workers under round-robin with sticky sessions keyed by the
     * cookie `sid`, which the primary peeks at in each connection's first bytes (the costlier key: by
     * client IP, which costs a hash, all of wrk's connections would come from one address). wrk sends
     * each request with one of [CookieLoad]'s cookies.
     */
    class Sticky(val adapter: HelloWorld) : HttpTarget("${adapter}_sticky", "$adapter sticky", "$adapter") {
        override fun command(port: Int) = jvm(adapter, port, WORKERS, SharingStrategy.ROUND_ROBIN) + listOf("--sticky", CookieLoad.NAME)
        override val wrkScript: Path get() = CookieLoad.script
    }

    /**
     * A jcluster primary with one worker that counts every processor (shared strategy): against the
     * single JVM it shows what serving as a worker costs, apart from what splitting the server in
     * two processes costs on this machine.
     */
    class OneWorker(val adapter: HelloWorld) : HttpTarget("${adapter}_one_worker", "$adapter 1 worker", "$adapter") {
        override fun command(port: Int) = jvm(adapter, port, 1, null)
        override val replaces: Boolean get() = false
    }

    /** Node's `cluster` with [WORKERS] workers; [policy] is `rr` or `none`. */
    class Node(val script: Path, val policy: String) : HttpTarget("node_$policy", "node $policy", "node") {
        override fun command(port: Int) = listOf("node", script.toString(), "--policy", policy, "--port", "$port", "--workers", "$WORKERS")
    }

    companion object {
        const val WORKERS = 2
        private val javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString()

        /**
         * The same JVM options for every JVM target (workers inherit the primary's): quiet logs. (No
         * `-Dsun.net.httpserver.nodelay=true`: the JDK adapter sets TCP_NODELAY itself.)
         */
        private fun jvm(adapter: HelloWorld, port: Int, workers: Int, strategy: SharingStrategy?): List<String> =
            listOf(javaBin) + Ipc.jvmFlags + listOf("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dkotlin-logging.logStartupMessage=false",
                "-cp", System.getProperty("java.class.path"), HttpBenchServer::class.java.name,
                "--adapter", "$adapter", "--port", "$port", "--workers", "$workers") +
                (strategy?.let { listOf("--strategy", it.configName) } ?: emptyList())
    }
}

/**
 * A running server: stdout is read line by line (each line stamped with the time it was read) for the
 * server's `ready`/`replaced`/`listening` lines, stdin carries commands, stderr goes to ours. Closing
 * stops it with [stop] (ending stdin, a graceful stop, unless the server wants a signal), then kills
 * whatever is left.
 */
class ServerProcess private constructor(private val process: Process, private val stop: (Process) -> Unit) : AutoCloseable {
    /** A line of the server's stdout and when it was read ([System.nanoTime]). */
    data class Line(val text: String, val nanos: Long)

    private val lines = LinkedBlockingQueue<Line>()

    init {
        // A worker may hold the pipe open after the primary exited: close() then closes it under the reader.
        Thread({ runCatching { process.inputStream.bufferedReader().forEachLine { lines.put(Line(it, System.nanoTime())) } }; lines.put(EOF) }, "server-stdout")
            .apply { isDaemon = true; start() }
    }

    /** The server's pid: the primary's, for a cluster. */
    val pid: Long get() = process.pid()

    val isAlive: Boolean get() = process.isAlive

    /** Waits for a line starting with [prefix], printing the lines before it; returns the rest of it. */
    fun await(prefix: String, timeoutSeconds: Long = 60): String {
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds)
        while (true) {
            val line = next(deadline, "'$prefix' within $timeoutSeconds s").text
            if (line.startsWith(prefix)) return line.removePrefix(prefix).trim()
            println(line)
        }
    }

    /** The next line, read by [deadline] ([System.nanoTime]); otherwise an IOException that says what was [awaited]. */
    fun next(deadline: Long, awaited: String): Line {
        val line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS) ?: throw IOException("no $awaited")
        if (line === EOF) throw IOException("the server exited (exit value ${process.waitFor()}) while awaiting $awaited")
        return line
    }

    fun send(command: String) {
        process.outputStream.write("$command\n".toByteArray())
        process.outputStream.flush()
    }

    override fun close() {
        val workers = process.descendants().toList() // known now: once the primary is gone they are no one's descendants
        runCatching { stop(process) }
        if (!process.waitFor(STOP_SECONDS, TimeUnit.SECONDS)) System.err.println("server did not stop within $STOP_SECONDS s; killed")
        workers.forEach { it.destroyForcibly() }
        process.destroyForcibly().waitFor()
    }

    companion object {
        private val EOF = Line("\u0000eof", 0)
        private const val STOP_SECONDS = 20L

        fun start(target: HttpTarget, port: Int): ServerProcess = start(target.command(port), stop = { it.outputStream.close() })

        /** Starts [command], its stderr to ours or to [stderr]; closing it runs [stop] first (SIGTERM: `Process::destroy`). */
        fun start(command: List<String>, stop: (Process) -> Unit, stderr: java.io.File? = null): ServerProcess =
            ServerProcess(ProcessBuilder(command).redirectError(stderr?.let(ProcessBuilder.Redirect::to) ?: ProcessBuilder.Redirect.INHERIT).start(), stop)

        /** A port free now (the server binds it a moment later; nothing else runs on this machine meanwhile). */
        fun freePort(): Int = ServerSocket(0).use { it.localPort }
    }
}
