package io.jcluster

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.internal.DeclaredPorts
import io.jcluster.internal.OutputTee
import io.jcluster.internal.PluginHooks
import io.jcluster.internal.Resize
import io.jcluster.internal.StatsCollector
import io.jcluster.internal.Upgrades
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.onSubscription
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeoutOrNull
import java.net.SocketAddress
import java.util.concurrent.atomic.AtomicBoolean
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds

private val log = KotlinLogging.logger {}

/**
 * The primary of a [cluster], with the LearnBoost module's controls: [spawn], [close] (graceful),
 * [destroy] (hard), [restart], [kill], a [state] and primary-level [events]; [plugins] hear of it all.
 * The Node-style [primary] underneath has the workers and their events.
 */
public class ManagedCluster internal constructor(
    /** The primary underneath: its `workers`, `events`, `activeWorkers()`. */
    public val primary: Primary,
    private val plugins: List<ClusterPlugin>,
    private val drainDelay: Duration = Duration.ZERO,
) {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val _state = MutableStateFlow(PrimaryState.ACTIVE)
    private val _events = MutableSharedFlow<PrimaryEvent>(replay = EVENT_REPLAY, extraBufferCapacity = EVENT_BUFFER)
    private val closed = CompletableDeferred<Unit>()
    private val closing = AtomicBoolean()
    private var listening = false

    @Volatile private var failure: String? = null

    /** Active, restarting, closing, closed, or failed. */
    public val state: StateFlow<PrimaryState> = _state.asStateFlow()

    /** The primary's events, in order; the last [EVENT_REPLAY] are replayed to a late collector. */
    public val events: SharedFlow<PrimaryEvent> = _events.asSharedFlow()

    /** How many workers the cluster keeps: the supervisor's slots, as of the last change the primary's loop took. */
    public val workers: Int get() = primary.loop.desired.value

    private val pluginHooks = PluginHooks(plugins, ::emit)
    private val upgrades = Upgrades(this, scope, { name, hook -> hooks(name, hook) }, ::emit)

    /** The pid of the primary this one takes over from, in a primary that an [upgrade] started; otherwise null. */
    public val predecessor: Long? get() = upgrades.predecessor

    /** The pid of the primary this one handed the cluster over to ([upgrade]), once that one was ready; otherwise null. */
    public val successor: Long? get() = upgrades.successor

    /** The one count of what this cluster does, which [stats] reads. */
    private val counters = StatsCollector(this)

    /** Where the workers' output lines go under [Stdio.PIPE]: the console by default; the logger plugin sets files. */
    public var workerOutput: WorkerOutput
        get() = output.sink
        set(value) { output.sink = value }
    private val output = OutputTee().also { primary.loop.output = it }

    /** Also sends every worker's output lines to [listener], whatever [workerOutput] is (the control plugin keeps the recent ones). */
    public fun addOutputListener(listener: WorkerOutput): Unit = output.listeners.add(listener).let {}

    /** What the cluster did so far and every worker now: the one source of the stats, control and metrics plugins. */
    public fun stats(): ClusterStats = counters.snapshot()

    /** Returns once the primary's loop has taken every input queued before: promptly while it is responsive (systemd's watchdog asks). */
    @JvmSynthetic
    public suspend fun awaitResponsive(): Unit = primary.loop.probe()

    init {
        primary.loop.beforeFork = { slot -> hooks("beforeFork") { it.beforeFork(this, slot) } }
        val logged = primary.loop.onResized // the primary's lifecycle line comes first
        primary.loop.onResized = { from, to ->
            logged(from, to)
            emit(PrimaryEvent.WorkersChanged(from, to))
            hooks("onWorkersChanged") { it.onWorkersChanged(this, from, to) }
        }
        scope.launch(Dispatchers.Unconfined, start = CoroutineStart.UNDISPATCHED) { primary.events.collect(::onClusterEvent) }
    }

    /**
     * Binds [addresses] (see [DeclaredPorts]), then starts the plugins and [workers] workers. A bind
     * that fails throws its one-line [java.net.BindException] before any plugin or worker started.
     */
    internal fun start(workers: Int, addresses: List<SocketAddress> = emptyList(), options: ListenOptions = ListenOptions()) {
        upgrades.inherit() // first: plugins starting see the predecessor, and workers the listeners
        runCatching { DeclaredPorts.bind(primary.loop.ports, addresses, options, primary.settings) }.onFailure {
            primary.close() // and the ports bound before this one with it
            scope.cancel()
            throw it
        }
        hooks("onStarting") { it.onStarting(this) }
        emit(PrimaryEvent.Started)
        spawn(workers)
    }

    /**
     * [count] workers more, or (negative) fewer; see [Primary.spawn]. Returns at once: the primary's
     * loop takes the change in order with every other, and refuses (with a log line) one that would
     * leave fewer than 0 workers or more than [Supervision.maxWorkers]. [PrimaryEvent.WorkersChanged]
     * says what it did.
     */
    public fun spawn(count: Int) {
        checkActive()
        primary.spawn(count)
    }

    /**
     * Changes the wanted number of workers as [change] says and returns what the primary's loop did:
     * the count before and after, or why it refused (then nothing changed).
     */
    @JvmSynthetic // internal, yet public in bytecode: kept out of Java's sight
    internal suspend fun resize(change: Resize): ScaleResult {
        checkActive()
        return primary.loop.resize(change)
    }

    /** Sets the wanted number of workers to [workers] (`jcluster scale N`); see [resize]. */
    @JvmSynthetic // Java: JavaCluster.scaleTo()
    public suspend fun scaleTo(workers: Int): ScaleResult = resize(Resize.To(workers))

    private fun checkActive() =
        check(_state.value == PrimaryState.ACTIVE || _state.value == PrimaryState.RESTARTING) { "cannot spawn: the cluster is ${_state.value}" }

    /**
     * Restarts every worker. Without [signal], gracefully: a zero-downtime reload (see [Primary.reload]).
     * With one (LearnBoost's forced restart), each worker is sent [signal], and supervision replaces it
     * at once. Returns, once the workers are replaced, how many it replaced (what `jcluster reload` reports).
     */
    @JvmSynthetic // Java: JavaCluster.restart()
    public suspend fun restart(signal: Signal? = null): Int {
        _state.compareAndSet(PrimaryState.ACTIVE, PrimaryState.RESTARTING)
        emit(PrimaryEvent.Restarting(signal))
        hooks("onRestart") { it.onRestart(this) }
        var replaced = 0
        val failure = try {
            replaced = if (signal == null) primary.reload().replaced else hardRestart(signal)
            null
        } catch (e: ReloadFailedException) {
            e.message
        } finally {
            _state.compareAndSet(PrimaryState.RESTARTING, PrimaryState.ACTIVE)
        }
        emit(PrimaryEvent.Restarted(failure))
        failure?.let { throw ReloadFailedException(it) }
        return replaced
    }

    /** Kills every worker with [signal] and waits for their replacements, on the listeners the primary keeps meanwhile; returns how many it killed. */
    private suspend fun hardRestart(signal: Signal): Int = primary.loop.holdingPorts {
        val old = primary.activeWorkers()
        old.forEach { it.kill(signal) }
        primary.workers.first { workers -> old.none { it.id in workers } }
        // Checked again on each event (a replacement's Ready, ClusterFailed) from the moment the
        // subscription exists: the state alone does not change when a replacement becomes ready.
        // An old worker leaves the registry a moment before its slot, so it is not counted as a replacement.
        primary.events.onSubscription<Any> { emit(Unit) }.first {
            primary.activeWorkers().count { it !in old } == workers || primary.state.value is ClusterState.Failed
        }
        old.size
    }

    /**
     * Replaces this primary without dropping a connection (unicorn's and nginx's binary upgrade):
     * starts a new primary with [command] (by default this JVM's own command line), hands it every
     * listening socket, waits until it has a ready worker in every slot, then closes this one
     * gracefully (its workers finish their requests; no drain delay: the sockets stay open) and
     * returns. Its plugins hear [ClusterPlugin.onHandedOver], the new one's [ClusterPlugin.onUpgraded].
     *
     * @throws UpgradeFailedException if the new primary exits or is not ready within [timeout]: it is
     *   stopped, and this primary serves on as if nothing happened.
     */
    @JvmSynthetic // Java: JavaCluster.upgrade()
    public suspend fun upgrade(command: List<String>? = null, timeout: Duration = UPGRADE_TIMEOUT): UpgradeResult =
        upgrades.upgrade(command, timeout)

    /**
     * Closes gracefully: the state turns [PrimaryState.CLOSING] (readiness probes fail from now on),
     * the workers keep serving for the drain delay ([ClusterConfig.drainDelay], so that a load
     * balancer stops sending first), then every worker disconnects (finishing its requests), and
     * the primary lets go.
     */
    @JvmSynthetic // Java: JavaCluster.close()
    public suspend fun close() {
        if (!closing.compareAndSet(false, true)) return closed.await()
        _state.value = PrimaryState.CLOSING
        emit(PrimaryEvent.Closing)
        if (drainDelay.isPositive() && successor == null) delay(drainDelay)
        primary.disconnect()
        finish()
    }

    /** Stops at once: every worker is killed now (LearnBoost `destroy`), its exit counted as asked for ([ExitReason.KILL]), none respawned. */
    public fun destroy() {
        if (!closing.compareAndSet(false, true)) return
        _state.value = PrimaryState.CLOSING
        primary.close()
        finish()
    }

    /** Sends [signal] to every worker and closes once they are gone (LearnBoost `kill`); past the kill timeout they are killed. */
    @JvmSynthetic // Java: JavaCluster.kill()
    public suspend fun kill(signal: Signal = Signal.TERM) {
        if (!closing.compareAndSet(false, true)) return closed.await()
        _state.value = PrimaryState.CLOSING
        emit(PrimaryEvent.Killed(signal))
        withTimeoutOrNull(primary.settings.disconnectTimeout + primary.settings.killTimeout) { primary.killAll(signal) }
        finish()
    }

    /** Every plugin reopens its log files ([ClusterPlugin.onReopenLogs]): what `USR1` does, after logrotate moved them. */
    public fun reopenLogs() {
        hooks("onReopenLogs") { it.onReopenLogs(this) }
    }

    /** Returns once the cluster is closed; the state then says whether it [PrimaryState.FAILED]. */
    @JvmSynthetic // Java: JavaCluster.awaitClosed()
    public suspend fun awaitClosed(): PrimaryState {
        closed.await()
        return _state.value
    }

    private fun finish() {
        primary.close()
        _state.value = if (failure != null) PrimaryState.FAILED else PrimaryState.CLOSED
        emit(PrimaryEvent.Closed)
        hooks("onExit") { it.onExit(this) }
        closed.complete(Unit)
        scope.cancel()
    }

    private fun onClusterEvent(event: ClusterEvent) {
        when (event) {
            is WorkerEvent.Forked -> {
                emit(PrimaryEvent.WorkerSpawned(event.worker))
                hooks("afterFork") { it.afterFork(this, event.worker) }
            }
            is WorkerEvent.Ready -> if (!listening && primary.activeWorkers().size >= workers) {
                listening = true
                hooks("whenReady") { it.whenReady(this) } // first: whoever hears Listening sees what the hooks did
                emit(PrimaryEvent.Listening)
                upgrades.whenReady()
            }
            is WorkerEvent.Message -> counters.messageReceived()
            is WorkerEvent.Exited -> {
                counters.workerExited(event) // first: a plugin's hook sees the stats with this exit counted
                if (!event.exitedAfterDisconnect) emit(PrimaryEvent.WorkerKilled(event.worker, event))
                hooks("onWorkerExit") { it.onWorkerExit(this, event) }
            }
            is ClusterFailed -> {
                failure = event.reason
                scope.launch { close() } // and the state then reads FAILED
            }
            else -> Unit
        }
    }

    /** Runs [hook] on every plugin; one that throws is logged and reported, and the others still run. */
    private fun hooks(name: String, hook: (ClusterPlugin) -> Unit) = pluginHooks.run(name, hook)

    private fun emit(event: PrimaryEvent) {
        if (!_events.tryEmit(event)) log.warn { "a collector of the primary's events is too slow; dropped $event" }
    }

    public companion object {
        /** How many past events a new collector of [events] gets. */
        public const val EVENT_REPLAY: Int = 64

        /** How long [upgrade] waits by default for the new primary to have a ready worker in every slot. */
        public val UPGRADE_TIMEOUT: Duration = 60.seconds
        private const val EVENT_BUFFER = 4096
    }
}
