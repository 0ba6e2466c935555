package io.jcluster.samples

import io.jcluster.Cluster
import io.jcluster.ClusterEvent
import io.jcluster.ClusterFailed
import io.jcluster.ClusterPlugin
import io.jcluster.ClusterSettings
import io.jcluster.ListenOptions
import io.jcluster.ManagedCluster
import io.jcluster.ops.Plugins
import io.jcluster.startCluster
import io.jcluster.SharingStrategy
import io.jcluster.Supervision
import io.jcluster.WorkerEvent
import io.jcluster.ipc.Ipc
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import kotlinx.serialization.Serializable
import java.io.PrintStream
import java.net.BindException
import java.nio.file.Path
import java.util.concurrent.atomic.AtomicLong
import kotlin.system.exitProcess
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds

/** What a worker tells the primary for every request it serves (Node's `{ cmd: 'notifyRequest' }`). */
@Serializable
data class NotifyRequest(val path: String)

/**
 * The main job, Node's message-counting cluster example on the JVM: a primary with one worker per
 * CPU serving "Hello World" on one port; each worker notifies the primary of every request with a
 * typed message, and the primary prints `numReqs = N` every second. The workers are supervised: one
 * that dies is respawned (by a warm standby, a JVM started ahead: one per worker unless `--standby`
 * says otherwise), `HUP` replaces them all without dropping a request (a reload, which promotes the
 * standbys while the build is unchanged, so it starts no JVM), and if they cannot boot the primary exits with
 * [Supervision.PRIMARY_FAILED]. Ctrl-C (or TERM) disconnects the
 * workers gracefully, then the primary exits with 0; `TTIN` adds a worker and `TTOU` retires one
 * (gunicorn's). Operators steer it with `bin/jcluster` (its control socket), scrape `--metrics-port`,
 * and find the workers' output and the lifecycle in `--log-dir` (`USR1` reopens the files).
 * `bin/jcluster upgrade` replaces the primary itself (same flags), without dropping a request.
 *
 * `bin/hello-cluster [--port 3000] [--workers <cpus>] [--strategy shared|round-robin|reuse-port] [--max-restarts 10]
 * [--standby <workers>] [--metrics-port N] [--control-socket PATH] [--drain-delay SECONDS] [--log-dir DIR] [--server netty|jdk]`
 */
object HelloCluster {
    private const val LOGGING_BANNER = "kotlin-logging.logStartupMessage"

    @JvmStatic
    fun main(args: Array<String>) {
        // Before any logger exists: kotlin-logging's banner on stdout is not the main job's output.
        if (System.getProperty(LOGGING_BANNER) == null) System.setProperty(LOGGING_BANNER, "false")
        if (Cluster.isWorker) {
            worker(HelloOptions.fromWorkerEnvironment())
            return
        }
        val options = HelloOptions.parse(args)
        Ipc.missingJvmFlag()?.let { HelloOptions.fail(it, usage = false) } // bin/hello-cluster passes it; a hand-made command line may not
        primary(options)
    }

    private fun primary(options: HelloOptions) = runBlocking {
        // Taken before the plugins start: with --log-dir the logger sends System.out to master.log,
        // and these lines are the main job's interface (benchmarks and specs read them).
        val terminal = System.out
        val console = HelloConsole(this, options.drainDelay, terminal)
        val control = Plugins.control(options.controlSocket)
        val metrics = options.metricsPort?.let { Plugins.metrics(it, options.host) }
        val logger = options.logDir?.let { Plugins.logger(it) }
        val cluster = try {
            startCluster {
                workers = options.workers
                // The primary binds the workers' port before it forks them: a port it cannot have stops it here, in one line.
                listen(options.port, options.host)
                strategy = options.strategy
                // A worker here reads nothing at boot but the classpath and the environment the primary gives it, so a
                // standby started from the build on disk is what a fresh fork would be: a reload may promote it.
                supervision = Supervision(maxRestarts = options.maxRestarts, standby = options.standbys, reloadTakesStandbys = true)
                drainDelay = options.drainDelay
                settings { it.copy(environment = it.environment + options.toWorkerEnvironment()) }
                use(console)
                use(control)
                metrics?.let { use(it) }
                logger?.let { use(it) }
            }
        } catch (e: BindException) {
            System.err.println("hello-cluster: ${e.message}")
            exitProcess(Supervision.CANNOT_BOOT)
        }
        terminal.println("primary ${ProcessHandle.current().pid()}: ${options.workers} workers on http://127.0.0.1:${options.port}/ (${options.strategy}); Ctrl-C stops, HUP reloads")
        control.path?.let { terminal.println("control socket $it: bin/jcluster status") }
        metrics?.address?.let { terminal.println("metrics on http://${it.hostString}:${it.port}/metrics") }
        StopSignals.onStop {
            terminal.println("stopping: disconnecting the workers")
            console.stop(0)
        }
        StopSignals.onReopenLogs { cluster.reopenLogs() }
        StopSignals.onScale { change -> runCatching { cluster.spawn(change) }.onFailure { terminal.println("scale failed: ${it.message}") } }
        StopSignals.onReload {
            launch {
                terminal.println("reloading")
                runCatching { cluster.primary.reload() }
                    .onSuccess { terminal.println("reloaded: ${it.replaced} workers replaced in ${it.took.inWholeMilliseconds} ms") }
                    .onFailure { terminal.println("reload failed: ${it.message}") }
            }
        }
        // After an upgrade (bin/jcluster upgrade) the cluster closes once its workers drained: then this primary exits.
        launch {
            cluster.awaitClosed()
            if (cluster.successor != null) console.stop(0) // any other close has a stop of its own, with its exit code
        }
        while (true) {
            delay(1_000)
            terminal.println("numReqs = ${console.numReqs.get()}")
        }
    }

    private fun worker(options: HelloOptions) = runBlocking {
        val worker = Cluster.worker
        // Shares the port with the other workers; stops gracefully when the worker disconnects.
        options.server.serve(options.port, options.host, ListenOptions(strategy = options.strategy)) { path ->
            worker.post(NotifyRequest(path)) // Node's process.send: no coroutine on a request thread
        }
    }
}

/**
 * What the main job's primary prints as the cluster lives (the lines benchmarks and specs parse), and
 * its stop: a plugin, so that it hears the workers' events from before the first fork.
 */
private class HelloConsole(private val scope: CoroutineScope, private val drainDelay: Duration, private val terminal: PrintStream) : ClusterPlugin {
    override val name: String = "hello-console"
    val numReqs = AtomicLong()
    @Volatile private var cluster: ManagedCluster? = null

    override fun onStarting(cluster: ManagedCluster) {
        this.cluster = cluster
        // Unconfined: counting runs in the primary's own emit, with no thread hand-off per message.
        scope.launch(Dispatchers.Unconfined, start = CoroutineStart.UNDISPATCHED) { cluster.primary.events.collect(::print) }
    }

    override fun onHandedOver(cluster: ManagedCluster, successor: Long) {
        terminal.println("upgraded: primary $successor took over; this one exits once its workers drained")
    }

    override fun onUpgraded(cluster: ManagedCluster, predecessor: Long) {
        terminal.println("took over from primary $predecessor")
    }

    private fun print(event: ClusterEvent) {
        when (event) {
            is WorkerEvent.Message -> if (event.payload is NotifyRequest) numReqs.incrementAndGet()
            is WorkerEvent.Listening -> terminal.println("worker ${event.worker.id} (pid ${event.worker.pid}) listening on ${event.address}")
            is WorkerEvent.Exited -> if (!event.exitedAfterDisconnect) terminal.println("worker ${event.worker.id} died: ${event.reason} ${event.exit}")
            is ClusterFailed -> {
                terminal.println("cluster failed: ${event.reason}")
                Thread { stop(Supervision.PRIMARY_FAILED) }.start()
            }
            else -> Unit
        }
    }

    /** Closes the cluster gracefully (bounded), prints the last count and exits with [code]. */
    fun stop(code: Int) {
        cluster?.let { cluster ->
            val settings = cluster.primary.settings
            runBlocking { withTimeoutOrNull(drainDelay + settings.disconnectTimeout + 1.seconds) { cluster.close() } }
            cluster.primary.close()
        }
        terminal.println("numReqs = ${numReqs.get()}")
        exitProcess(code)
    }
}

/** The main job's flags, and how the primary hands them to its workers. */
data class HelloOptions(
    val port: Int = 3000,
    val host: String = "127.0.0.1",
    val workers: Int = cpus(),
    val strategy: SharingStrategy = defaultStrategy(),
    val maxRestarts: Int = Supervision().maxRestarts,
    /** Warm standbys; null: one per worker, so that a reload promotes a standby into every slot and starts no JVM under load. */
    val standby: Int? = null,
    val metricsPort: Int? = null,
    val controlSocket: Path? = null,
    val drainDelay: Duration = Duration.ZERO,
    val logDir: Path? = null,
    val server: HelloServer = HelloServer.NETTY,
) {
    /** The warm standbys to keep: [standby], or one per worker. */
    val standbys: Int get() = standby ?: workers

    fun toWorkerEnvironment(): Map<String, String> =
        mapOf(PORT to "$port", HOST to host, STRATEGY to strategy.configName, SERVER to server.configName)

    companion object {
        private const val PORT = "HELLO_PORT"
        private const val HOST = "HELLO_HOST"
        private const val STRATEGY = "HELLO_STRATEGY"
        private const val SERVER = "HELLO_SERVER"
        private const val USAGE = "usage: hello-cluster [--port N] [--host ADDRESS] [--workers N] [--strategy shared|round-robin|reuse-port] [--max-restarts N] [--standby N] [--metrics-port N] [--control-socket PATH] [--drain-delay SECONDS] [--log-dir DIR] [--server netty|jdk]"

        fun parse(args: Array<String>): HelloOptions {
            var options = HelloOptions()
            val rest = args.iterator()
            while (rest.hasNext()) {
                val flag = rest.next()
                if (flag == "--help" || flag == "-h") { println(USAGE); exitProcess(0) }
                val value = if (rest.hasNext()) rest.next() else fail("$flag needs a value")
                options = when (flag) {
                    "--port" -> options.copy(port = value.toIntOrNull()?.takeIf { it in 0..65535 } ?: fail("--port: not a port: $value"))
                    "--host" -> options.copy(host = value)
                    "--workers" -> options.copy(workers = value.toIntOrNull()?.takeIf { it > 0 } ?: fail("--workers: not a positive number: $value"))
                    "--strategy" -> options.copy(strategy = runCatching { SharingStrategy.parse(value) }.getOrElse { fail("--strategy: ${it.message}") })
                    "--max-restarts" -> options.copy(maxRestarts = value.toIntOrNull()?.takeIf { it >= 0 } ?: fail("--max-restarts: not a number >= 0: $value"))
                    "--standby" -> options.copy(standby = value.toIntOrNull()?.takeIf { it in 0..8 } ?: fail("--standby: not 0..8: $value"))
                    "--metrics-port" -> options.copy(metricsPort = value.toIntOrNull()?.takeIf { it in 0..65535 } ?: fail("--metrics-port: not a port: $value"))
                    "--control-socket" -> options.copy(controlSocket = Path.of(value))
                    "--log-dir" -> options.copy(logDir = Path.of(value))
                    "--server" -> options.copy(server = runCatching { HelloServer.parse(value) }.getOrElse { fail("--server: ${it.message}") })
                    "--drain-delay" -> options.copy(drainDelay = value.toIntOrNull()?.takeIf { it in 0..60 }?.seconds ?: fail("--drain-delay: not 0..60 seconds: $value"))
                    else -> fail("unknown flag $flag")
                }
            }
            return options
        }

        fun fromWorkerEnvironment(env: Map<String, String> = System.getenv()) = HelloOptions(
            port = env.getValue(PORT).toInt(), host = env.getValue(HOST), strategy = SharingStrategy.parse(env.getValue(STRATEGY)),
            server = HelloServer.parse(env.getValue(SERVER)))

        private fun cpus() = Runtime.getRuntime().availableProcessors()

        private fun defaultStrategy() = ClusterSettings().strategy

        fun fail(message: String, usage: Boolean = true): Nothing {
            System.err.println("hello-cluster: $message" + if (usage) "\n$USAGE" else "")
            exitProcess(2)
        }
    }
}
