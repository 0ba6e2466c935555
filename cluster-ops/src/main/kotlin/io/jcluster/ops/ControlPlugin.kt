package io.jcluster.ops

import io.jcluster.AdminProtocol
import io.jcluster.AdminReply
import io.jcluster.AdminRequest
import io.jcluster.ClusterPlugin
import io.jcluster.ManagedCluster
import io.jcluster.ClusterStats
import io.jcluster.Signal
import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.WorkerEvent
import io.jcluster.ops.internal.CommandSocket
import io.jcluster.ops.internal.LogsCommand
import io.jcluster.ops.internal.RecentOutput
import kotlinx.coroutines.runBlocking
import java.nio.file.Path
import kotlin.time.TimeSource

private val log = KotlinLogging.logger {}

/**
 * `Plugins.control(path)`: a Unix socket (mode 0600, in a directory only the owner can enter; peers
 * of another uid are refused) that answers one JSON [AdminRequest] line per connection with one
 * [AdminReply] line: `status`/`stats` (a [ClusterStats]), `reload` (zero-downtime, answered once
 * done), `restart` (every worker killed with TERM and replaced), `scale N`, `kill ID`, `upgrade`
 * (a new primary, [ManagedCluster.upgrade], with [AdminRequest.argv] as its command line if given;
 * answered once it is ready), `logs` (the workers' recent output lines, which this plugin keeps in
 * memory whatever else takes them, see [RecentOutput]; followed if asked). `bin/jcluster` is its client. Not to be confused with the workers'
 * private channel to the primary.
 *
 * A new primary that an upgrade started binds a socket at a path of its own (the default path has the
 * pid in it) at once; at a path given here, it takes the path over only once it took over the cluster.
 */
public class ControlPlugin internal constructor(private val requestedPath: Path?) : ClusterPlugin {
    override val name: String = "control"
    @Volatile private var socket: CommandSocket? = null
    private val recent = RecentOutput()

    /** Where the socket listens, once the cluster started. */
    public val path: Path? get() = socket?.path

    override fun onStarting(cluster: ManagedCluster) {
        cluster.addOutputListener(recent)
        if (cluster.predecessor == null || requestedPath == null) bind(cluster, replace = false)
    }

    override fun onUpgraded(cluster: ManagedCluster, predecessor: Long) {
        if (socket == null) bind(cluster, replace = true) // the old primary still has the path: it drains now
    }

    private fun bind(cluster: ManagedCluster, replace: Boolean) {
        socket = CommandSocket(requestedPath ?: AdminProtocol.defaultPath(), replace) { request, send ->
            if (request.command == "logs") LogsCommand(cluster, recent).run(request, send) else send(answer(cluster, request))
        }
        log.info { "control socket: ${socket?.path}" }
    }

    override fun onWorkerExit(cluster: ManagedCluster, exit: WorkerEvent.Exited): Unit = recent.exited(exit.worker.id)

    override fun onExit(cluster: ManagedCluster) {
        socket?.close()
    }

    /** Runs [request] on a connection's thread; what throws becomes an error reply. */
    private fun answer(cluster: ManagedCluster, request: AdminRequest): AdminReply = try {
        when (request.command) {
            "status", "stats" -> AdminReply(true, stats = cluster.stats())
            "reload" -> timed { "reloaded: ${runBlocking { cluster.restart(null) }} workers replaced" }
            "restart" -> timed { "restarted: every worker was sent TERM and replaced (${runBlocking { cluster.restart(Signal.TERM) }} workers)" }
            "scale" -> scale(cluster, request.workers ?: throw IllegalArgumentException("scale needs a number of workers: scale N"))
            "upgrade" -> upgrade(cluster, request.argv)
            "kill" -> kill(cluster, request.id ?: throw IllegalArgumentException("kill needs a worker id: kill ID (see status)"))
            else -> throw IllegalArgumentException("unknown command \"${request.command}\"; the commands are $COMMANDS")
        }
    } catch (e: Exception) {
        AdminReply(false, e.message ?: e.toString())
    }

    /** Runs [action], which says what it did, and adds how long it took. */
    private inline fun timed(action: () -> String): AdminReply {
        val started = TimeSource.Monotonic.markNow()
        val done = action()
        return AdminReply(true, "$done in ${started.elapsedNow().inWholeMilliseconds} ms")
    }

    /** Sets the count in the primary's loop, in order with every other change, and says what it did. */
    private fun scale(cluster: ManagedCluster, workers: Int): AdminReply {
        require(workers >= 1) { "scale $workers: at least 1 worker (to stop the cluster, send the primary TERM)" }
        val outcome = runBlocking { cluster.scaleTo(workers) }
        outcome.refused?.let { return AdminReply(false, "scale $workers refused: $it") }
        return AdminReply(true, if (outcome.from == outcome.to) "already $workers workers" else "scaled from ${outcome.from} to ${outcome.to} workers")
    }

    private fun upgrade(cluster: ManagedCluster, command: List<String>?): AdminReply {
        val result = runBlocking { cluster.upgrade(command?.ifEmpty { null }) }
        return AdminReply(true, "upgraded: primary ${result.from} handed over to ${result.to}, ready in ${result.took.inWholeMilliseconds} ms; " +
            "${result.from} exits once its workers finished their requests", upgradedTo = result.to)
    }

    private fun kill(cluster: ManagedCluster, id: Int): AdminReply {
        val worker = cluster.primary.workers.value[id]
            ?: throw IllegalArgumentException("no worker $id; the workers are ${cluster.primary.workers.value.keys.sorted()}")
        worker.kill()
        return AdminReply(true, "sent TERM to worker $id (pid ${worker.pid}); supervision replaces it")
    }

    private companion object {
        const val COMMANDS = "status, stats, reload, restart, scale N, kill ID, upgrade, logs"
    }
}
