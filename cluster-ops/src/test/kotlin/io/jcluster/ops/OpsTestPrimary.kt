package io.jcluster.ops

import io.jcluster.Cluster
import io.jcluster.ClusterConfig
import io.jcluster.cluster
import io.jcluster.ClusterEvent
import io.jcluster.ClusterListener
import io.jcluster.ClusterPlugin
import io.jcluster.ManagedCluster
import io.jcluster.PrimaryEvent
import io.jcluster.ReloadStarted
import io.jcluster.Signal
import io.jcluster.SignalAction
import io.jcluster.WorkerApp
import io.jcluster.WorkerContext
import io.jcluster.WorkerEvent
import java.io.FileDescriptor
import java.io.FileOutputStream
import java.io.PrintStream
import java.net.UnixDomainSocketAddress
import java.nio.ByteBuffer
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.runInterruptible

/**
 * The configuration the operations specs and their workers share, read from the environment the spec
 * gives the primary (and the primary passes on to its workers): `OPS_WORKERS` (2), `OPS_PORT` (0, on
 * 127.0.0.1) or `OPS_UNIX` (a Unix socket's path instead), `OPS_SIGNALS` (a named change of the
 * signal map), `OPS_PIDFILES` and `OPS_LOGS` (plugin directories), `OPS_WORKERS_FILE` (a file that,
 * once it exists, sets the primary's number of workers: a spec writes a bad one for the next primary).
 */
fun ClusterConfig.opsTestConfig() {
    workers = System.getenv("OPS_WORKERS")?.toInt() ?: 2
    System.getenv("OPS_WORKERS_FILE")?.let { Path.of(it) }?.takeIf { isPrimary && Files.exists(it) }?.let { workers = Files.readString(it).trim().toInt() }
    when (val unix = System.getenv("OPS_UNIX")) {
        null -> listen(System.getenv("OPS_PORT")?.toInt() ?: 0, "127.0.0.1")
        else -> listen(UnixDomainSocketAddress.of(unix))
    }
    timeout = 5.seconds
    settings { it.copy(mainClass = OpsTestPrimary::class.java.name, args = emptyList(), jvmArgs = io.jcluster.QUICK_BOOT, fastStart = false) }
    when (val change = System.getenv("OPS_SIGNALS")) {
        null -> Unit
        "usr2-spawns" -> signals { on(Signal.USR2, SignalAction.SPAWN_ONE) }
        "int-closes" -> signals { on(Signal.INT, SignalAction.CLOSE) }
        "usr2-upgrades" -> signals { on(Signal.USR2, SignalAction.UPGRADE) }
        else -> error("unknown OPS_SIGNALS $change")
    }
    System.getenv("OPS_PIDFILES")?.let { use(Plugins.pidfiles(Path.of(it))) }
    System.getenv("OPS_LOGS")?.let { use(Plugins.logger(Path.of(it), System.Logger.Level.DEBUG)) }
    if (isPrimary) use(EventPrinter)
}

/**
 * The app of the operations specs: for each connection it prints `served N` on stdout and `oops N`
 * on stderr (flushed), and `OPS_CHATTER` lines of 100 bytes or so on stdout, then answers with its worker id.
 * A disconnect answers the connection in hand before the worker exits.
 */
object OpsTestApp : WorkerApp {
    private val chatter = System.getenv("OPS_CHATTER")?.toInt() ?: 0
    private val padding = "x".repeat(80)

    override suspend fun serve(context: WorkerContext) {
        val served = AtomicInteger()
        for (address in context.addresses) {
            val listener = Cluster.listen(address, context.options) as ClusterListener.Socket
            val server = Thread {
                runCatching {
                    while (true) listener.channel.accept().use { connection ->
                        val n = served.incrementAndGet()
                        println("served $n")
                        System.out.flush()
                        System.err.println("oops $n")
                        System.err.flush()
                        repeat(chatter) { println("chatter $n $it $padding") }
                        System.out.flush()
                        connection.write(ByteBuffer.wrap("${context.worker.id}\n".toByteArray()))
                    }
                }
            }.apply { isDaemon = true; start() }
            // A disconnect (a reload, an upgrade) stops accepting, and answers the connection taken already.
            context.worker.onDisconnect {
                listener.close()
                runInterruptible { server.join(5_000) }
            }
            listener.listening()
        }
    }
}

/** The `main` of the operations specs, in the primary and in its workers: a real program's `cluster { }` call. */
object OpsTestPrimary {
    @JvmStatic
    fun main(args: Array<String>) = runBlocking { cluster(OpsTestApp) { opsTestConfig() } }
}

/**
 * Prints what the primary does, one line each, on the process's real stdout (which the logger plugin
 * does not capture): `PRIMARY pid` (at start: an upgrade's new primary prints one too), `READY id pid`,
 * `EXITED id pid reason`, `LISTENING id port`, `RELOAD`, `REOPENED`, and `P <PrimaryEvent>` (`P WorkersChanged 2 3`,
 * `P HandedOver pid`, `P TookOver pid`).
 */
object EventPrinter : ClusterPlugin {
    private val out = PrintStream(FileOutputStream(FileDescriptor.out), true)
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Unconfined)

    override fun onStarting(cluster: ManagedCluster) {
        say("PRIMARY ${ProcessHandle.current().pid()}")
        scope.launch(start = CoroutineStart.UNDISPATCHED) { cluster.primary.events.collect { say(line(it)) } }
        scope.launch(start = CoroutineStart.UNDISPATCHED) { cluster.events.collect { say(line(it)) } }
    }

    override fun onReopenLogs(cluster: ManagedCluster) = say("REOPENED")

    private fun line(event: ClusterEvent): String? = when (event) {
        is WorkerEvent.Ready -> "READY ${event.worker.id} ${event.worker.pid}"
        is WorkerEvent.Exited -> "EXITED ${event.worker.id} ${event.worker.pid} ${event.reason}"
        is WorkerEvent.Listening -> "LISTENING ${event.worker.id} ${(event.address as? java.net.InetSocketAddress)?.port}"
        is ReloadStarted -> "RELOAD"
        else -> null
    }

    private fun line(event: PrimaryEvent): String = when (event) {
        is PrimaryEvent.WorkersChanged -> "P WorkersChanged ${event.from} ${event.to}"
        is PrimaryEvent.Restarted -> "P Restarted ${event.failure}"
        is PrimaryEvent.HandedOver -> "P HandedOver ${event.successor}"
        is PrimaryEvent.TookOver -> "P TookOver ${event.predecessor}"
        else -> "P ${event::class.simpleName}"
    }

    private fun say(line: String?) {
        if (line != null) synchronized(out) { out.println(line) }
    }
}
