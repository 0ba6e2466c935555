package io.jcluster.bench

import io.jcluster.Cluster
import io.jcluster.ClusterSettings
import io.jcluster.ListenOptions
import io.jcluster.Primary
import io.jcluster.SharingStrategy
import io.jcluster.Stdio
import io.jcluster.StickyKey
import io.jcluster.StickySessions
import io.jcluster.Worker
import io.jcluster.WorkerState
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import kotlin.system.exitProcess
import kotlin.time.Duration.Companion.seconds

/**
 * The server `bench/run http` measures, in both roles of one `main`:
 *
 *     HttpBenchServer --adapter jdk|jetty|netty --port P --workers N [--strategy shared|round-robin|reuse-port] [--sticky COOKIE]
 *
 * With N > 0 it is a primary that forks N workers, each serving hello world ([HelloWorld]) on the
 * shared port (with `--sticky`, sticky sessions keyed by that cookie); with N = 0 one JVM serves the same handler on a socket of its own, no cluster. Prints
 * `ready <port>` once every server listens. stdin carries the driver's commands: `replace` replaces
 * each worker in turn (fork a new one, wait until it listens, disconnect an old one, wait until it
 * exited) and prints `replaced <ms>`; end of input stops everything.
 */
object HttpBenchServer {
    @JvmStatic
    fun main(args: Array<String>) {
        val options = ServerOptions.parse(args)
        runBlocking {
            when {
                Cluster.isWorker -> worker(options)
                options.workers == 0 -> single(options)
                else -> primary(options)
            }
        }
        if (Cluster.isPrimary) exitProcess(0)
    }

    /** Serves until the primary disconnects this worker; the adapter stops the server then, and the process exits. */
    private suspend fun worker(options: ServerOptions) {
        options.adapter.serve(options.port, HOST, ListenOptions(strategy = options.strategy))
    }

    private suspend fun single(options: ServerOptions) {
        val server = options.adapter.serve(options.port, HOST, ListenOptions())
        println("ready ${options.port}")
        commands { line -> System.err.println("single JVM: nothing to do for '$line'") }
        server.stop()
    }

    private suspend fun primary(options: ServerOptions) {
        // Each worker counts its share of the processors, as the cluster DSL (and so hello-cluster) sets it.
        val share = (Runtime.getRuntime().availableProcessors() / options.workers).coerceAtLeast(1)
        val sticky = options.stickyCookie?.let { StickySessions(StickyKey.cookie(it)) }
        val settings = ClusterSettings(mainClass = HttpBenchServer::class.java.name, stdio = Stdio.INHERIT, strategy = options.strategy, processorsPerWorker = share, sticky = sticky)
        Primary(settings).use { primary ->
            withTimeout(STEP_TIMEOUT) { List(options.workers) { primary.fork() }.forEach { it.awaitListening() } }
            println("ready ${options.port}")
            commands { line ->
                require(line == "replace") { "unknown command '$line'" }
                val start = System.nanoTime()
                replaceAll(primary)
                println("replaced ${(System.nanoTime() - start) / 1_000_000}")
            }
            primary.disconnect()
        }
    }

    /** For each worker now running: fork its replacement, wait until that listens, then disconnect the old one. */
    private suspend fun replaceAll(primary: Primary) {
        for (old in primary.workers.value.values.toList()) {
            withTimeout(STEP_TIMEOUT) {
                primary.fork().awaitListening()
                old.disconnect()
                old.state.first { it is WorkerState.Dead }
            }
        }
    }

    private suspend fun Worker.awaitListening() {
        state.first { it == WorkerState.Listening || it is WorkerState.Dead }
            .also { check(it == WorkerState.Listening) { "worker $id died before it listened: $it" } }
    }

    /** Runs [action] for each line of stdin (blocking reads off the caller's thread) until the input ends. */
    private suspend fun commands(action: suspend (String) -> Unit) {
        while (true) {
            val line = withContext(Dispatchers.IO) { readlnOrNull() } ?: return
            if (line.isNotBlank()) action(line.trim())
        }
    }

    private const val HOST = "127.0.0.1"
    private val STEP_TIMEOUT = 60.seconds
}

/** The command line of [HttpBenchServer]; workers get the primary's. */
data class ServerOptions(val adapter: HelloWorld, val port: Int, val workers: Int, val strategy: SharingStrategy, val stickyCookie: String? = null) {
    companion object {
        fun parse(args: Array<String>): ServerOptions {
            require(args.size % 2 == 0) { USAGE }
            val named = args.toList().chunked(2).associate { (key, value) -> key to value }
            require(named.keys.all { it in setOf("--adapter", "--port", "--workers", "--strategy", "--sticky") }) { USAGE }
            return ServerOptions(
                adapter = HelloWorld.parse(named["--adapter"] ?: "jdk"),
                port = requireNotNull(named["--port"]?.toIntOrNull()) { USAGE },
                workers = named["--workers"]?.toIntOrNull() ?: 2,
                strategy = SharingStrategy.parse(named["--strategy"] ?: "shared"),
                stickyCookie = named["--sticky"],
            )
        }

        private const val USAGE = "usage: HttpBenchServer --adapter jdk|jetty|netty --port P --workers N [--strategy shared|round-robin|reuse-port] [--sticky COOKIE]"
    }
}
