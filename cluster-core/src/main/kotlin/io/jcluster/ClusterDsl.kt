package io.jcluster

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ipc.Ipc
import kotlinx.coroutines.awaitCancellation
import java.net.BindException
import java.util.ServiceLoader
import kotlin.reflect.KClass
import kotlin.system.exitProcess

private val log = KotlinLogging.logger {}

/**
 * Clusters [app] (LearnBoost's `cluster(server)…listen(80)`): the same `main` runs in the primary and
 * in every worker.
 *
 * ```
 * suspend fun main() = cluster(HelloApp) {
 *     workers = cpus
 *     env("production") { use(Plugins.debug()) // io.jcluster.ops.Plugins }
 *     listen(3000)
 * }
 * ```
 *
 * In the primary, [configure] sets the cluster up, the workers are spawned and supervised, and this
 * returns once the cluster closes; its signals are [ClusterConfig.signals] (by default `TERM` closes
 * it gracefully, `INT` at once, `HUP` or `USR2` restarts the workers, `TTIN`/`TTOU` add or retire
 * one, `USR1` reopens the plugins' logs); if supervision failed, the process exits
 * with [Supervision.PRIMARY_FAILED]. Under systemd (`NOTIFY_SOCKET` set) the primary reports its
 * readiness (cluster-ops' systemd plugin, an [AutomaticPlugin]). In a worker, [configure] runs too (so the worker knows where to
 * listen), then [app] serves until the worker disconnects.
 */
@JvmSynthetic // Java: Clusters.builder(app)…run()
public suspend fun cluster(app: WorkerApp, configure: ClusterConfig.() -> Unit) {
    val config = ClusterConfig(ClusterConfig.currentEnvironment(), Cluster.isPrimary).apply(configure)
    if (Cluster.isWorker) serve(app, config)
    ServiceLoader.load(AutomaticPlugin::class.java, AutomaticPlugin::class.java.classLoader).forEach { automatic ->
        automatic.pluginFor(config.plugins.toList())?.let(config::use)
    }
    Ipc.missingJvmFlag()?.let { missing ->
        System.err.println("jcluster: $missing")
        exitProcess(Supervision.CANNOT_BOOT)
    }
    val cluster = try {
        startCluster(config)
    } catch (e: BindException) {
        // A port it cannot have is the user's to fix: one line (the stack only at DEBUG), and no worker started.
        log.debug(e) { "the primary could not bind a listen(…) address" }
        System.err.println("jcluster: ${e.message}")
        exitProcess(Supervision.CANNOT_BOOT)
    }
    PrimarySignals.install(cluster, config.signals.toMap())
    if (cluster.awaitClosed() == PrimaryState.FAILED) exitProcess(Supervision.PRIMARY_FAILED)
}

/** [cluster] with an app class made (by its no-argument constructor, or its `object`) only in workers. */
@JvmSynthetic // Java: Clusters.builder(AppClass.class)…run()
public suspend fun cluster(app: KClass<out WorkerApp>, configure: ClusterConfig.() -> Unit): Unit =
    cluster(WorkerApp.lazy { app.objectInstance ?: app.java.getDeclaredConstructor().newInstance() }, configure)

/**
 * Starts the primary of a cluster configured by [configure] in [environment] (which its workers
 * then share) and returns at once, without signal handlers: for tests and for programs that run the
 * primary themselves. In a worker, use [cluster].
 *
 * The primary binds every [ClusterConfig.listen] address before it forks a worker.
 *
 * @throws java.net.BindException if one cannot be bound (in use, privileged…): its one-line message
 *   names the address and, where Linux tells, the process holding it; nothing was started.
 */
@JvmOverloads
public fun startCluster(environment: String = ClusterConfig.currentEnvironment(), configure: ClusterConfig.() -> Unit): ManagedCluster {
    check(Cluster.isPrimary) { "startCluster() starts a primary, and this process is a worker: call cluster(app) { … } from main, which serves in a worker" }
    return startCluster(ClusterConfig(environment, isPrimary = true).apply(configure))
}

private fun startCluster(config: ClusterConfig): ManagedCluster =
    ManagedCluster(Primary(config.toSettings()), config.plugins.toList(), config.drainDelay)
        .also { it.start(config.workers, config.addresses.toList(), config.listenOptions()) }

private suspend fun serve(app: WorkerApp, config: ClusterConfig): Nothing {
    check(config.addresses.isNotEmpty()) { "the cluster configuration has no listen(…): tell the workers where to serve, for example listen(3000)" }
    app.serve(WorkerContext(config.addresses.toList(), config.listenOptions(), Cluster.worker, config.environment))
    awaitCancellation() // the worker runs until it disconnects, which ends the process
}
