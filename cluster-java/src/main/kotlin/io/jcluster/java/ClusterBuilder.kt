package io.jcluster.java

import io.jcluster.Cluster
import io.jcluster.ClusterConfig
import io.jcluster.ClusterPlugin
import io.jcluster.ClusterSettings
import io.jcluster.DebugPorts
import io.jcluster.ManagedCluster
import io.jcluster.SharingStrategy
import io.jcluster.Signal
import io.jcluster.SignalAction
import io.jcluster.Stdio
import io.jcluster.StickySessions
import io.jcluster.Supervision
import io.jcluster.WorkerApp
import io.jcluster.cluster
import io.jcluster.startCluster
import kotlinx.coroutines.runBlocking
import java.net.SocketAddress
import java.nio.file.Path
import java.util.concurrent.CompletableFuture
import java.util.function.Consumer
import java.util.function.UnaryOperator
import kotlin.time.toKotlinDuration
import java.time.Duration as JavaDuration

/**
 * The `cluster(app) { … }` DSL as a Java chain, with the same names (`ClusterConfig` documents each).
 * The chain only records; it is applied when [run] or [start] configures the cluster, in the primary
 * and in every worker alike, so that both see the same addresses.
 */
public class ClusterBuilder internal constructor(private val app: WorkerApp, private val nested: Boolean = false) {
    private val steps = ArrayList<ClusterConfig.() -> Unit>()

    private fun add(step: ClusterConfig.() -> Unit): ClusterBuilder = apply { steps += step }

    /** How many workers to keep (default: one per CPU). */
    public fun workers(count: Int): ClusterBuilder = add { workers = count }

    /** How many processors each worker JVM counts; null: all of them. Unless called, each worker's share (cpus / workers). */
    public fun processorsPerWorker(count: Int?): ClusterBuilder = add { processorsPerWorker = count }

    /** The workers' working directory. */
    public fun workingDirectory(directory: Path?): ClusterBuilder = add { workingDirectory = directory }

    /** The listen backlog. */
    public fun backlog(backlog: Int): ClusterBuilder = add { this.backlog = backlog }

    /** Where the primary binds its control socket. */
    public fun socketPath(path: Path?): ClusterBuilder = add { socketPath = path }

    /** Run the workers as this user (through `setpriv`). */
    public fun user(user: String?): ClusterBuilder = add { this.user = user }

    /** Run the workers with this group. */
    public fun group(group: String?): ClusterBuilder = add { this.group = group }

    /** How long a disconnecting worker may take before it is killed. */
    public fun timeout(timeout: JavaDuration): ClusterBuilder = add { this.timeout = timeout.toKotlinDuration() }

    /** How the workers share each port. */
    public fun strategy(strategy: SharingStrategy): ClusterBuilder = add { this.strategy = strategy }

    /**
     * Sticky sessions (round-robin, unless [strategy] names another): `sticky(StickySessions.CLIENT_IP)`,
     * or `sticky(StickySessions.firstBytes(StickyKey.cookie("sid")))`; null: connections go in turn.
     */
    public fun sticky(sessions: StickySessions?): ClusterBuilder = add { sticky = sessions }

    /** A JDWP (and, if asked, JMX) port per worker: `debugPorts(new DebugPorts(5005))` has worker N debug on 127.0.0.1:5005+N. */
    public fun debugPorts(ports: DebugPorts?): ClusterBuilder = add { debugPorts = ports }

    /**
     * How long a graceful close keeps the workers serving after the cluster turned not-ready (so that
     * a load balancer stops sending first); zero (the default) drains at once.
     */
    public fun drainDelay(delay: JavaDuration): ClusterBuilder = add { drainDelay = delay.toKotlinDuration() }

    /** On [signal] the primary does [action], one of [SignalAction]'s (`SignalAction.SPAWN_ONE`, say). */
    public fun onSignal(signal: Signal, action: SignalAction): ClusterBuilder = add { signals.on(signal, action) }

    /**
     * On [signal] the primary runs [action] with the cluster, off the signal dispatcher; what it throws
     * is logged. `onSignal(Signal.WINCH, cluster -> cluster.spawn(1))`.
     */
    public fun onSignal(signal: Signal, action: Consumer<JavaCluster>): ClusterBuilder = add {
        signals.on(signal, JavaSignalAction(action))
    }

    /** The primary leaves [signal] to the JVM (for `TERM`, `INT`, `HUP`: exit, killing the workers). */
    public fun defaultSignal(signal: Signal): ClusterBuilder = add { signals.remove(signal) }

    /** The supervision policies; see [SupervisionBuilder]. */
    public fun supervision(supervision: Supervision): ClusterBuilder = add { this.supervision = supervision }

    /** A setting by its LearnBoost name (`"timeout"` takes milliseconds or a `java.time.Duration`). */
    public fun set(name: String, value: Any?): ClusterBuilder = add { set(name, if (value is JavaDuration) value.toKotlinDuration() else value) }

    /** Applies [block] only in the cluster environment [name] (`JCLUSTER_ENV`; `"all"` is every one). */
    public fun env(name: String, block: Consumer<ClusterBuilder>): ClusterBuilder = add { env(name) { applyNested(block) } }

    /** [env] by the LearnBoost name. */
    public fun `in`(name: String, block: Consumer<ClusterBuilder>): ClusterBuilder = env(name, block)

    /** Runs [action] while the cluster is configured, in both roles (LearnBoost's `do`). */
    public fun step(action: Consumer<ClusterBuilder>): ClusterBuilder = add { applyNested(action) }

    /** Uses [plugin] (in the primary). */
    public fun use(plugin: ClusterPlugin): ClusterBuilder = add { use(plugin) }

    /** The workers serve on [port] of [host] (null: every local address). */
    @JvmOverloads
    public fun listen(port: Int, host: String? = null): ClusterBuilder = add { listen(port, host) }

    /** The workers serve on [address] (TCP, or a Unix-domain socket path). */
    public fun listen(address: SocketAddress): ClusterBuilder = add { listen(address) }

    /** Changes the underlying settings; the methods below cover the common ones. */
    public fun settings(change: UnaryOperator<ClusterSettings>): ClusterBuilder = add { settings(change::apply) }

    /** The class whose `main` the workers run (default: the primary's). */
    public fun mainClass(name: String): ClusterBuilder = settings { it.copy(mainClass = name) }

    /** The workers' program arguments (default: the primary's). */
    public fun args(args: List<String>): ClusterBuilder = settings { it.copy(args = args) }

    /** The workers' JVM options (default: the primary's). */
    public fun jvmArgs(jvmArgs: List<String>): ClusterBuilder = settings { it.copy(jvmArgs = jvmArgs) }

    /** Environment variables for every worker, added to those the cluster sets. */
    public fun environmentVariables(variables: Map<String, String>): ClusterBuilder = settings { it.copy(environment = it.environment + variables) }

    /** Where the workers' stdout and stderr go. */
    public fun stdio(stdio: Stdio): ClusterBuilder = settings { it.copy(stdio = stdio) }

    /** Whether workers start from a class-data archive (default: true). */
    public fun fastStart(enabled: Boolean): ClusterBuilder = settings { it.copy(fastStart = enabled) }

    /** After `TERM`, how long before `KILL`. */
    public fun killTimeout(timeout: JavaDuration): ClusterBuilder = settings { it.copy(killTimeout = timeout.toKotlinDuration()) }

    /**
     * Runs the cluster, as Kotlin's `cluster(app) { … }`: in the primary, starts and supervises the
     * workers with signal handlers (`TERM` closes, `INT` destroys, `HUP` restarts) and returns once the
     * cluster is closed; in a worker, serves the app until the worker disconnects, and never returns.
     */
    public fun run() {
        check(!nested) { "run() inside env(…) or step(…): call it on the outer builder" }
        runBlocking { cluster(app) { configure() } }
    }

    /**
     * Starts the primary without signal handlers (for tests, and programs that drive the primary
     * themselves); the future completes once every worker is ready (`PrimaryEvent.Listening`), or
     * fails if the cluster closes first, or at once (with a `java.net.BindException`) if the primary
     * cannot bind a `listen(…)` address. Only in the primary: a worker's `main` calls [run].
     */
    public fun start(): CompletableFuture<JavaCluster> {
        check(!nested) { "start() inside env(…) or step(…): call it on the outer builder" }
        check(Cluster.isPrimary) { "start() starts a primary, and this process is a worker: end main with run(), which serves in a worker" }
        // A listen(…) address the primary cannot bind fails the future, with its one-line BindException: nothing started.
        val cluster = try { startCluster { configure() } } catch (e: java.net.BindException) { return CompletableFuture.failedFuture(e) }
        return JavaCluster.of(cluster).whenListening()
    }

    private fun ClusterConfig.configure() = steps.forEach { it() }

    /** A Java [Consumer] as a [SignalAction]; named after it in the log. */
    private class JavaSignalAction(private val action: Consumer<JavaCluster>) : SignalAction {
        override suspend fun perform(cluster: ManagedCluster) = action.accept(JavaCluster.of(cluster))

        override fun toString(): String = "run $action"
    }

    /** Applies what [block] adds to a fresh builder to this configuration, at once. */
    private fun ClusterConfig.applyNested(block: Consumer<ClusterBuilder>) = ClusterBuilder(app, nested = true).also(block::accept).steps.forEach { it() }
}
