package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterEvent
import io.jcluster.ClusterSettings
import io.jcluster.ClusterState
import io.jcluster.ReadyWhen
import io.jcluster.ReloadResult
import io.jcluster.ScaleResult
import io.jcluster.Setup
import io.jcluster.Signal
import io.jcluster.Supervision
import io.jcluster.Worker
import io.jcluster.WorkerEvent
import io.jcluster.WorkerInput
import io.jcluster.WorkerOutput
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.launch
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds
import kotlin.time.TimeSource

private val log = KotlinLogging.logger {}

/**
 * The primary's loop: one coroutine reads one inbox ([LoopInbox]: workers' messages after everything
 * else) and alone owns the worker records. Everything else (API calls, process exits, IPC) only
 * enqueues a [PrimaryInput].
 */
internal class PrimaryLoop(
    initialSettings: ClusterSettings,
    private val launcher: ProcessLauncher,
    private val scope: CoroutineScope,
    private val commands: WorkerCommands,
    private val clock: TimeSource.WithComparableMarks = TimeSource.Monotonic,
    memory: MemoryProbe = MemoryProbe.proc,
) {
    private val inbox = LoopInbox()
    private val records = WorkerTable()
    val nextId = AtomicInteger() // an upgrade's new primary goes on from the old one's ids
    private val _events = MutableSharedFlow<ClusterEvent>(extraBufferCapacity = EVENT_BUFFER)
    val ports = PortRegistry(scope) { workerId -> records[workerId]?.let(::portsKeptFor) ?: Duration.ZERO }
    private val supervisor = Supervisor(SupervisedWork(), clock, memory)
    private val stopper = Stopper(scope, { settings }, ::enqueue, ports)
    private val side = Side()
    private val messages = WorkerMessages(ports, stopper, { settings }, scope, clock, supervisor, side)
    private val exits = WorkerExits(records, ports, supervisor, scope, side)
    private val launches = WorkerLaunches(records, launcher, commands, { settings }, exits, scope, side)
    private val actions = ActionQueue(::perform)

    @Volatile var settings: ClusterSettings = initialSettings
        private set

    /** Runs on the loop before each fork, with the slot (null for `fork()`); what it throws is logged. */
    var beforeFork: (Int?) -> Unit by launches::beforeFork

    /** Runs on the loop when the wanted number of workers changed, before the forks it causes; what it throws is logged. */
    @Volatile var onResized: (from: Int, to: Int) -> Unit = { _, _ -> }

    /** Where later forks' output lines go under [io.jcluster.Stdio.PIPE] (the logger plugin sets its own). */
    var output: WorkerOutput by launches::output

    /** Set when the primary closes; a process launched after that is killed at once. */
    var closing: Boolean by launches::closing

    val events: SharedFlow<ClusterEvent> = _events.asSharedFlow()
    val workers: StateFlow<Map<Int, Worker>> get() = records.workers
    val state: StateFlow<ClusterState> get() = supervisor.state

    fun activeWorkers(): List<Worker> = supervisor.activeWorkers()

    /** How many workers the cluster keeps: the Supervisor's slots, the one count of it. */
    val desired: StateFlow<Int> get() = supervisor.desired

    /** The pids of the online warm standbys. */
    val standbyPids: StateFlow<List<Long>> get() = supervisor.standbyPids

    fun start() = scope.launch {
        while (true) {
            val input = inbox.receive()
            // One input that fails must not take the loop, and with it the whole cluster, down.
            try {
                handle(input)
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                log.error(e) { "the primary could not handle $input; going on" }
            }
        }
    }

    fun fork(environment: Map<String, String>): Worker =
        Worker(nextId.incrementAndGet(), this).also { enqueue(PrimaryInput.Fork(it, environment)) }

    fun spawn(count: Int) = enqueue(PrimaryInput.Spawn(Resize.By(count)))

    /** Changes the wanted number of workers, and says what really happened (the loop alone decides). */
    suspend fun resize(change: Resize): ScaleResult = CompletableDeferred<ScaleResult>().also { enqueue(PrimaryInput.Spawn(change, it)) }.await()

    suspend fun reload(): ReloadResult = CompletableDeferred<ReloadResult>().also { enqueue(PrimaryInput.Reload(it)) }.await()

    fun disconnect(worker: Worker) = enqueue(PrimaryInput.Disconnect(worker.id))

    fun kill(worker: Worker, signal: Signal) = enqueue(PrimaryInput.Kill(worker.id, signal))

    fun enqueue(input: PrimaryInput) {
        inbox.send(input)
    }

    suspend fun setup(change: (ClusterSettings) -> ClusterSettings): ClusterSettings =
        CompletableDeferred<ClusterSettings>().also { enqueue(PrimaryInput.Setup(change, it)) }.await()

    /** Disconnects every worker once the round-robin listeners handed over what they accepted ([PortRegistry.stopAccepting]). */
    suspend fun disconnectAll() {
        ports.stopAccepting(ROUTE_WAIT)
        CompletableDeferred<Unit>().also { enqueue(PrimaryInput.DisconnectAll(it)) }.await()
    }

    /** Returns once the loop has taken an input enqueued now: it is not wedged. */
    suspend fun probe() = CompletableDeferred<Unit>().also { enqueue(PrimaryInput.Probe(it)) }.await()

    suspend fun killAll(signal: Signal) = CompletableDeferred<Unit>().also { enqueue(PrimaryInput.KillAll(signal, it)) }.await()

    /**
     * [killAll] without waiting for it: the first step of the primary's hard stop, which kills the
     * processes itself next. Taken before their exits (the inbox keeps the order), it stops supervision
     * first, so that those exits count as asked for, not as crashes to respawn.
     */
    fun beginKillAll(signal: Signal) = enqueue(PrimaryInput.KillAll(signal, CompletableDeferred()))

    /** Closes the listeners the primary holds for its workers (the primary is closing). */
    fun closePorts() = ports.closeAll()

    /** Keeps the workers' listeners open while [block] runs, even with no worker on them (see [PortRegistry.hold]). */
    suspend fun <T> holdingPorts(block: suspend () -> T): T {
        ports.hold()
        try {
            return block()
        } finally {
            ports.release()
        }
    }

    /** The live processes, for a last-resort kill when the primary goes down. */
    fun liveProcesses(): List<ProcessHandle> = records.liveProcesses()

    private suspend fun handle(input: PrimaryInput) {
        when (input) {
            is PrimaryInput.Fork -> launches.launch(WorkerRecord(input.worker, Admission.newToken(), clock.markNow()), input.environment)
            is PrimaryInput.Hello -> hello(input)
            is PrimaryInput.Started -> started(input)
            is PrimaryInput.Control -> records.current(input.workerId, input.link)?.let { messages.handle(it, input) } ?: input.handle?.close()
            is PrimaryInput.UserMessage -> userMessage(input)
            is PrimaryInput.LinkDown -> records.current(input.workerId, input.link)?.let { exits.linkDown(it) }
            is PrimaryInput.Exited -> records[input.workerId]?.takeIf { it.exit == null }?.let { exits.exitedOnceDrained(it, input) }
            is PrimaryInput.Disconnect -> records[input.workerId]?.let { stopper.requestDisconnect(it) }
            is PrimaryInput.Kill -> records[input.workerId]?.let { stopper.kill(it, input.signal) }
            is PrimaryInput.DisconnectTimedOut -> records[input.workerId]?.let { stopper.disconnectTimedOut(it) }
            is PrimaryInput.KillTimedOut -> records[input.workerId]?.takeIf { it.exit == null }?.process?.signal(Signal.KILL)
            is PrimaryInput.Setup -> setup(input)
            is PrimaryInput.DisconnectAll -> disconnectAll(input.done)
            is PrimaryInput.KillAll -> killAll(input.signal, input.done)
            is PrimaryInput.Spawn -> resize(input)
            is PrimaryInput.Reload -> execute(supervisor.reload(input.done))
            is PrimaryInput.Respawn -> execute(supervisor.respawn(input.slot, input.token))
            is PrimaryInput.BootTimedOut -> records[input.workerId]?.let { execute(supervisor.bootTimedOut(it)) }
            is PrimaryInput.Tick -> execute(supervisor.tick(input.token))
            is PrimaryInput.Probe -> input.done.complete(Unit)
            is PrimaryInput.StandbyTopUp -> execute(supervisor.standbyBackoffOver(input.token))
            is PrimaryInput.Promoted -> records[input.workerId]?.let { readyIf(it, ReadyWhen.STARTED) }
        }
    }

    private suspend fun hello(input: PrimaryInput.Hello) {
        val record = records[input.workerId]
        Admission.refusal(record, input.workerId, input.token, input.peerPid)?.let { return reject(input, it) }
        record!!.link = input.link
        record.worker.link.complete(input.link)
        comeOnline(record)
        when {
            record.disconnectRequested -> stopper.sendDisconnect(record)
            record.standby -> {
                record.bootTimer?.cancel()
                execute(supervisor.standbyOnline(record))
            }
            else -> readyIf(record, ReadyWhen.STARTED)
        }
    }

    /**
     * A worker's announcement: it is online (its messages wait for its hello's link). A refused one
     * changes nothing, and is not logged: its hello, if one comes, is refused and logged.
     */
    private suspend fun started(input: PrimaryInput.Started) {
        val record = records[input.workerId]
        if (Admission.refusal(record, input.workerId, input.token, input.peerPid) != null) return
        comeOnline(record!!)
    }

    /** [record]'s `Online`, once, whichever of its announcement and its hello comes first. */
    private suspend fun comeOnline(record: WorkerRecord) {
        if (record.online) return
        record.online = true
        record.apply(WorkerInput.Online) // stays Disconnecting if a disconnect was asked before it came online
        emitFor(record, WorkerEvent.Online(record.worker))
    }

    private fun reject(input: PrimaryInput.Hello, why: String) {
        log.warn { "refused a worker connection claiming id ${input.workerId} from pid ${input.peerPid}: $why" }
        input.link.close()
    }

    /** Marks [record] ready if [now] is what the settings wait for. */
    private suspend fun readyIf(record: WorkerRecord, now: ReadyWhen) {
        if (record.ready || !record.isServing || settings.supervision.readyWhen != now) return
        record.ready = true
        record.worker.readyFlag = true
        record.bootTimer?.cancel()
        record.readyAt = clock.markNow()
        record.lastPong = record.readyAt.takeIf { record.worker.slot != null } // only slots get heartbeats: see Lateness
        execute(supervisor.ready(record)) // first: a collector of Ready then finds it among the active workers
        emit(WorkerEvent.Ready(record.worker))
    }

    private suspend fun userMessage(input: PrimaryInput.UserMessage) {
        val record = records.current(input.workerId, input.link)
        if (record == null || record.standby) input.handle?.close() else emit(WorkerEvent.Message(record.worker, input.payload, input.handle))
    }

    /** How long a port [record] leaves with no worker stays open: while its slot, still wanted, waits for its next worker to boot. */
    private fun portsKeptFor(record: WorkerRecord): Duration {
        // A serving worker that closes a listener of its own accord may listen again at once: not kept.
        val leaving = record.disconnectRequested || record.exit != null || record.channelClosed
        return if (leaving && record.worker.slot != null && supervisor.desired.value > 0) settings.supervision.bootTimeout else Duration.ZERO
    }

    private suspend fun setup(input: PrimaryInput.Setup) {
        val changed = runCatching { input.change(settings) }.getOrElse { return input.done.completeExceptionally(it).let { } }
        settings = changed
        emit(Setup(changed))
        execute(supervisor.settingsChanged())
        input.done.complete(changed)
    }

    private suspend fun disconnectAll(done: CompletableDeferred<Unit>) = stopAll(done) { stopper.requestDisconnect(it) }

    private suspend fun killAll(signal: Signal, done: CompletableDeferred<Unit>) = stopAll(done) { stopper.kill(it, signal) }

    /** Stops supervision, then every worker with [stop]; [done] completes once every one is gone. */
    private suspend fun stopAll(done: CompletableDeferred<Unit>, stop: (WorkerRecord) -> Unit) {
        execute(supervisor.stop())
        if (records.isEmpty()) supervisor.stopped()
        records.whenEmpty(done)
        records.all().forEach(stop)
    }

    /** The loop's side of supervision: what the [Supervisor] reads, and the records of its new workers. */
    private inner class SupervisedWork : Workforce {
        override val supervision: Supervision get() = settings.supervision

        override fun newRecord(slot: Int?): WorkerRecord {
            val worker = Worker(nextId.incrementAndGet(), this@PrimaryLoop, slot)
            return WorkerRecord(worker, Admission.newToken(), clock.markNow()).also { it.standby = slot == null }
        }

        override fun codeKey(): String? = BuildKey.ofCode(settings)
    }

    private suspend fun resize(input: PrimaryInput.Spawn) {
        val (outcome, actions) = supervisor.resize(input.change)
        execute(actions)
        input.done?.complete(outcome)
    }

    private suspend fun execute(actions: List<SupervisorAction>) = this.actions.execute(actions)

    private suspend fun perform(action: SupervisorAction) {
        when (action) {
            is SupervisorAction.Fork -> launches.forkSupervised(action.record)
            is SupervisorAction.Promote -> {
                launches.promote(action.record, action.slot)
                messages.promoted(action.record)
            }
            is SupervisorAction.Retire -> stopper.retire(action.record, action.reason)
            is SupervisorAction.DumpAndKill -> stopper.dumpAndKill(action.record, action.reason)
            is SupervisorAction.Dump -> stopper.dump(action.record)
            is SupervisorAction.Send -> action.record.link?.let { link -> scope.launch { runCatching { link.sendControl(action.message) } } }
            is SupervisorAction.After -> launches.later(action.delay, action.input)
            is SupervisorAction.Emit -> emit(action.event)
            is SupervisorAction.Resized ->
                runCatching { onResized(action.from, action.to) }.onFailure { log.error(it) { "a workers-changed hook failed; going on" } }
            is SupervisorAction.Answer<*> -> action.settle()
        }
    }

    private suspend fun emit(event: ClusterEvent) = _events.emit(event)

    /** Emits [event] of [record]'s worker, unless it is a standby, which the cluster does not see yet. */
    private suspend fun emitFor(record: WorkerRecord, event: ClusterEvent) {
        if (record.standby) log.debug { "standby worker ${record.worker.id}: $event" } else emit(event)
    }

    /** What the loop's collaborators call back. */
    private inner class Side : LoopSide {
        override suspend fun emit(event: ClusterEvent) = this@PrimaryLoop.emit(event)

        override suspend fun emitFor(record: WorkerRecord, event: ClusterEvent) = this@PrimaryLoop.emitFor(record, event)

        override suspend fun readyIf(record: WorkerRecord, now: ReadyWhen) = this@PrimaryLoop.readyIf(record, now)

        override suspend fun execute(actions: List<SupervisorAction>) = this@PrimaryLoop.execute(actions)

        override fun enqueue(input: PrimaryInput) = this@PrimaryLoop.enqueue(input)
    }

    private companion object {
        const val EVENT_BUFFER = 4096
        val ROUTE_WAIT = 2.seconds
    }
}
