package io.jcluster.internal

import io.jcluster.ScaleResult
import io.jcluster.WorkerOutput
import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterEvent
import io.jcluster.ClusterSettings
import io.jcluster.ClusterState
import io.jcluster.ReadyWhen
import io.jcluster.ReloadResult
import io.jcluster.Supervision
import io.jcluster.ExitReason
import io.jcluster.ExitStatus
import io.jcluster.Setup
import io.jcluster.Signal
import io.jcluster.Worker
import io.jcluster.WorkerEvent
import io.jcluster.WorkerInput
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import io.jcluster.ipc.Handle
import java.security.MessageDigest
import java.security.SecureRandom
import java.util.HexFormat
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds
import kotlin.time.TimeSource

private val log = KotlinLogging.logger {}

/**
 * The primary's loop: one coroutine reads one inbox and alone owns the worker records. Everything
 * else (API calls, process exits, IPC) only enqueues a [PrimaryInput].
 */
internal class PrimaryLoop(
    initialSettings: ClusterSettings,
    private val launcher: ProcessLauncher,
    private val scope: CoroutineScope,
    private val commands: WorkerCommands,
    private val clock: TimeSource.WithComparableMarks = TimeSource.Monotonic,
    memory: MemoryProbe = MemoryProbe.proc,
) {
    private val inbox = Channel<PrimaryInput>(Channel.UNLIMITED)
    private val records = HashMap<Int, WorkerRecord>()
    private val processes = ConcurrentHashMap<Int, ProcessHandle>() // every launched process, standbys too, for close()
    private val disconnectWaiters = ArrayList<CompletableDeferred<Unit>>()
    val nextId = AtomicInteger() // an upgrade's new primary goes on from the old one's ids
    private val _events = MutableSharedFlow<ClusterEvent>(extraBufferCapacity = EVENT_BUFFER)
    private val _workers = MutableStateFlow<Map<Int, Worker>>(emptyMap())
    val ports = PortRegistry(scope) { workerId -> records[workerId]?.let(::portsKeptFor) ?: Duration.ZERO }
    private val supervisor = Supervisor(SupervisedWork(), clock, memory)
    private val stopper = Stopper(scope, { settings }, ::enqueue, ports)

    @Volatile var settings: ClusterSettings = initialSettings
        private set

    /** Runs on the loop before each fork, with the slot (null for `fork()`); what it throws is logged. */
    @Volatile var beforeFork: (Int?) -> Unit = {}

    /** Runs on the loop when the wanted number of workers changed, before the forks it causes; what it throws is logged. */
    @Volatile var onResized: (from: Int, to: Int) -> Unit = { _, _ -> }

    /** Where later forks' output lines go under [io.jcluster.Stdio.PIPE] (the logger plugin sets its own). */
    @Volatile var output: WorkerOutput = WorkerOutput.CONSOLE

    /** Set when the primary closes; a process launched after that is killed at once. */
    @Volatile var closing: Boolean = false

    val events: SharedFlow<ClusterEvent> = _events.asSharedFlow()
    val workers: StateFlow<Map<Int, Worker>> = _workers.asStateFlow()
    val state: StateFlow<ClusterState> get() = supervisor.state

    fun activeWorkers(): List<Worker> = supervisor.activeWorkers()

    /** How many workers the cluster keeps: the Supervisor's slots, the one count of it. */
    val desired: StateFlow<Int> get() = supervisor.desired

    /** The pids of the online warm standbys. */
    val standbyPids: StateFlow<List<Long>> get() = supervisor.standbyPids

    fun start() = scope.launch {
        for (input in inbox) {
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
        inbox.trySend(input) // unlimited: never fails while the loop runs
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
    fun liveProcesses(): List<ProcessHandle> = processes.values.filter { it.isAlive }

    private suspend fun handle(input: PrimaryInput) {
        when (input) {
            is PrimaryInput.Fork -> launch(WorkerRecord(input.worker, newToken(), clock.markNow()), input.environment)
            is PrimaryInput.Hello -> hello(input)
            is PrimaryInput.Control -> current(input.workerId, input.link)?.let { control(it, input) } ?: input.handle?.close()
            is PrimaryInput.UserMessage -> userMessage(input)
            is PrimaryInput.LinkDown -> current(input.workerId, input.link)?.let { linkDown(it) }
            is PrimaryInput.Exited -> records[input.workerId]?.takeIf { it.exit == null }?.let { exitedOnceDrained(it, input) }
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

    /** Starts [record]'s process; a standby stays out of `workers` and its events until it is promoted. */
    private suspend fun launch(record: WorkerRecord, environment: Map<String, String>) {
        val worker = record.worker
        records[worker.id] = record
        if (!record.standby) join(record)
        val spec = commands.spec(worker.id, record.token, settings, environment).copy(output = output)
        val process = try {
            launcher.launch(spec)
        } catch (e: Exception) {
            log.error { "cannot start worker ${worker.id}: $e (command: ${spec.command.joinToString(" ").take(COMMAND_LOG_CHARS)}…)" }
            emitFor(record, WorkerEvent.Forked(worker))
            exited(record, ExitStatus(LAUNCH_FAILED, null), listOf("cannot start ${spec.command.first()}: ${e.message}"))
            return
        }
        record.process = process
        worker.processHandle = process.handle // before the check below: close() either sees this handle or we see closing
        process.handle?.let { processes[worker.id] = it }
        if (closing) process.signal(Signal.KILL)
        emitFor(record, WorkerEvent.Forked(worker))
        process.onExit { exit, stderr -> enqueue(PrimaryInput.Exited(worker.id, exit, stderr)) }
    }

    /** [record]'s worker joins the cluster: it is in `workers`, and the plugins hear of its fork. */
    private fun join(record: WorkerRecord) {
        _workers.value += record.worker.id to record.worker
        runCatching { beforeFork(record.worker.slot) }.onFailure { log.error(it) { "a before-fork hook failed; forking anyway" } }
    }

    /**
     * Makes the online standby [record] the worker of [slot]: it joins the cluster with its `Forked`
     * and `Online` events, as if it had just been forked, and its waiting calls go on.
     */
    private suspend fun promote(record: WorkerRecord, slot: Int) {
        record.standby = false
        record.worker.slot = slot
        join(record)
        log.info { "worker ${record.worker.id} (pid ${record.process?.pid}), a warm standby, now serves slot $slot" }
        emit(WorkerEvent.Forked(record.worker))
        emit(WorkerEvent.Online(record.worker))
        record.link?.let { link -> scope.launch { runCatching { link.sendControl(ControlMessage.Promote(slot)) } } }
        enqueue(PrimaryInput.Promoted(record.worker.id))
    }

    private suspend fun hello(input: PrimaryInput.Hello) {
        val record = records[input.workerId]
        val expectedPid = record?.process?.pid
        when {
            record == null || record.link != null || !sameToken(record.token, input.token) -> reject(input, "unknown worker or bad token")
            expectedPid != null && expectedPid != input.peerPid ->
                reject(input, "pid ${input.peerPid} is not worker ${input.workerId}'s pid $expectedPid")
            record.exit != null || record.channelClosed -> reject(input, "worker ${input.workerId} is ${record.state}")
            else -> {
                record.apply(WorkerInput.Online) // stays Disconnecting if a disconnect was asked before it came online
                record.link = input.link
                record.worker.link.complete(input.link)
                emitFor(record, WorkerEvent.Online(record.worker))
                when {
                    record.disconnectRequested -> stopper.sendDisconnect(record)
                    record.standby -> {
                        record.bootTimer?.cancel()
                        execute(supervisor.standbyOnline(record))
                    }
                    else -> readyIf(record, ReadyWhen.STARTED)
                }
            }
        }
    }

    private fun reject(input: PrimaryInput.Hello, why: String) {
        log.warn { "refused a worker connection claiming id ${input.workerId} from pid ${input.peerPid}: $why" }
        input.link.close()
    }

    private suspend fun control(record: WorkerRecord, input: PrimaryInput.Control) {
        val (id, message, reply) = Triple(record.worker.id, input.message, input.reply)
        if (record.standby && message !is ControlMessage.Disconnecting && message !is ControlMessage.Exiting) {
            // A standby's runtime holds these until it is promoted: one that sends them anyway is refused.
            val text = "worker $id is a warm standby, not yet promoted: it cannot send ${message::class.simpleName}"
            log.warn { text }
            input.handle?.close()
            reply?.let { scope.launch { runCatching { it.fail(text) } } }
            return
        }
        if (message !is ControlMessage.HandoffAnswer) input.handle?.close() // only a refused connection comes with one
        when (message) {
            is ControlMessage.Hello -> log.warn { "worker $id said hello again; ignored" }
            is ControlMessage.HandoffAnswer -> ports.handoffAnswer(id, message, input.handle)
            ControlMessage.Disconnecting -> {
                record.worker.exitedAfterDisconnectFlag = true
                ports.drain(id)
                if (record.apply(WorkerInput.DisconnectRequested)) stopper.startDisconnectTimer(record)
            }
            is ControlMessage.Listen -> {
                val late = { Lateness.isLate(record.lastPong?.elapsedNow(), settings.supervision) }
                val grant = ports.listen(id, record.link!!, message, settings.strategy, settings.maxPendingHandoffs, record.disconnectRequested, late, settings.sticky, record.worker.slot)
                answer(reply, grant.message, grant.handle)
            }
            is ControlMessage.Listening -> listening(record, message)
            is ControlMessage.Unlisten -> ports.unlisten(id, message.lease) { reply?.send(ControlMessage.Unlistened, null) }
            ControlMessage.Ready -> readyIf(record, ReadyWhen.READY)
            is ControlMessage.Pong -> record.pong(message, clock.markNow(), settings.supervision.healthWindow)
            is ControlMessage.Exiting -> record.exitingWith = message.code
            is ControlMessage.Recycle -> execute(supervisor.recycle(record, ExitReason.MAX_REQUESTS))
        }
    }

    private suspend fun listening(record: WorkerRecord, message: ControlMessage.Listening) {
        val address = message.lease?.let { ports.listening(record.worker.id, it) ?: return } ?: message.address.toSocketAddress()
        if (record.exit != null) return
        record.apply(WorkerInput.Listening) // a second listener: already Listening, and that is fine
        emit(WorkerEvent.Listening(record.worker, address))
        readyIf(record, ReadyWhen.LISTENING)
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

    /** Answers a worker's call without holding up the loop. */
    private fun answer(reply: CallReply?, message: ControlMessage.ToWorker, handle: Handle?) {
        reply ?: return
        scope.launch { runCatching { reply.send(message, handle) } }
    }

    private suspend fun userMessage(input: PrimaryInput.UserMessage) {
        val record = current(input.workerId, input.link)
        if (record == null || record.standby) input.handle?.close() else emit(WorkerEvent.Message(record.worker, input.payload, input.handle))
    }

    private suspend fun linkDown(record: WorkerRecord) {
        record.channelClosed = true
        ports.removeWorker(record.worker.id)
        record.apply(WorkerInput.ChannelClosed)
        emitFor(record, WorkerEvent.Disconnected(record.worker))
        removeIfGone(record)
        record.exitSeen?.takeIf { record.exit == null }?.let { exited(record, it.exit, it.stderr) }
    }

    /** How long a port [record] leaves with no worker stays open: while its slot, still wanted, waits for its next worker to boot. */
    private fun portsKeptFor(record: WorkerRecord): Duration {
        // A serving worker that closes a listener of its own accord may listen again at once: not kept.
        val leaving = record.disconnectRequested || record.exit != null || record.channelClosed
        return if (leaving && record.worker.slot != null && supervisor.desired.value > 0) settings.supervision.bootTimeout else Duration.ZERO
    }

    /**
     * Handles a process's exit once everything it sent was read: a worker that sent many messages and
     * then `disconnect()`ed may have exited while its last ones (its `Disconnecting` among them) still
     * wait in the socket, and its exit would read as unasked. The link's end, or [EXIT_DRAIN_WAIT],
     * whichever comes first (a child process of the worker could hold the socket open).
     */
    private suspend fun exitedOnceDrained(record: WorkerRecord, input: PrimaryInput.Exited) {
        if (record.link == null || record.channelClosed || input.drained) return exited(record, input.exit, input.stderr)
        record.exitSeen = input
        scope.launch { delay(EXIT_DRAIN_WAIT); enqueue(input.copy(drained = true)) }
    }

    private suspend fun exited(record: WorkerRecord, observed: ExitStatus, stderr: List<String>) {
        val exit = observed.asReportedBy(record).also { record.exit = it }
        record.stderr = stderr
        record.timer?.cancel()
        record.bootTimer?.cancel()
        processes.remove(record.worker.id)
        ports.removeWorker(record.worker.id)
        record.apply(WorkerInput.ProcessExited(exit))
        record.worker.gone.complete(Unit)
        if (record.link == null && !record.channelClosed) {
            // It never connected: its channel is as closed as it will ever be.
            record.channelClosed = true
            emitFor(record, WorkerEvent.Disconnected(record.worker))
        }
        val reason = exitReason(record, exit)
        emitFor(record, WorkerEvent.Exited(record.worker, exit, record.worker.exitedAfterDisconnect, reason, stderr))
        removeIfGone(record)
        execute(supervisor.exited(record, reason))
    }

    private fun removeIfGone(record: WorkerRecord) {
        if (!record.isGone) return
        records.remove(record.worker.id)
        _workers.value -= record.worker.id
        if (records.isEmpty()) {
            disconnectWaiters.forEach { it.complete(Unit) }.also { disconnectWaiters.clear() }
            supervisor.stopped()
        }
    }

    private suspend fun setup(input: PrimaryInput.Setup) {
        val changed = runCatching { input.change(settings) }.getOrElse { return input.done.completeExceptionally(it).let { } }
        settings = changed
        emit(Setup(changed))
        execute(supervisor.settingsChanged())
        input.done.complete(changed)
    }

    private suspend fun disconnectAll(done: CompletableDeferred<Unit>) {
        execute(supervisor.stop())
        if (records.isEmpty()) return done.complete(Unit).also { supervisor.stopped() }.let { }
        disconnectWaiters += done
        records.values.toList().forEach { stopper.requestDisconnect(it) }
    }

    /** The loop's side of supervision: what the [Supervisor] reads, and the records of its new workers. */
    private inner class SupervisedWork : Workforce {
        override val supervision: Supervision get() = settings.supervision

        override fun newRecord(slot: Int?): WorkerRecord {
            val worker = Worker(nextId.incrementAndGet(), this@PrimaryLoop, slot)
            return WorkerRecord(worker, newToken(), clock.markNow()).also { it.standby = slot == null }
        }
    }

    private suspend fun resize(input: PrimaryInput.Spawn) {
        val (outcome, actions) = supervisor.resize(input.change)
        execute(actions)
        input.done?.complete(outcome)
    }

    private val planned = ArrayDeque<SupervisorAction>()
    private var executing = false

    /**
     * Carries out a [Supervisor] step's actions in order. The actions of a step taken meanwhile (the
     * death of a worker whose launch failed) queue behind them rather than run inside one of them.
     */
    private suspend fun execute(actions: List<SupervisorAction>) {
        planned.addAll(actions)
        if (executing) return
        executing = true
        try {
            while (true) {
                val action = planned.removeFirstOrNull() ?: break
                try {
                    perform(action)
                } catch (e: CancellationException) {
                    throw e
                } catch (e: Exception) {
                    log.error(e) { "the primary could not carry out $action; going on" }
                }
            }
        } finally {
            executing = false
        }
    }

    private suspend fun perform(action: SupervisorAction) {
        when (action) {
            is SupervisorAction.Fork -> forkSupervised(action.record)
            is SupervisorAction.Promote -> {
                startBootTimer(action.record) // a standby's boot ends when it is ready in its slot, not when it came online
                promote(action.record, action.slot)
            }
            is SupervisorAction.Retire -> stopper.retire(action.record, action.reason)
            is SupervisorAction.DumpAndKill -> stopper.dumpAndKill(action.record, action.reason)
            is SupervisorAction.Dump -> stopper.dump(action.record)
            is SupervisorAction.Send -> action.record.link?.let { link -> scope.launch { runCatching { link.sendControl(action.message) } } }
            is SupervisorAction.After -> later(action.delay, action.input)
            is SupervisorAction.Emit -> emit(action.event)
            is SupervisorAction.Resized ->
                runCatching { onResized(action.from, action.to) }.onFailure { log.error(it) { "a workers-changed hook failed; going on" } }
            is SupervisorAction.Answer<*> -> action.settle()
        }
    }

    private suspend fun forkSupervised(record: WorkerRecord) {
        val place = if (record.standby) WorkerEnvironment.STANDBY to "1" else WorkerEnvironment.SLOT to record.worker.slot.toString()
        launch(record, supervisedEnvironment() + place)
        startBootTimer(record)
    }

    /** (Re)starts [record]'s boot timeout, unless its launch failed. */
    private fun startBootTimer(record: WorkerRecord) {
        record.bootTimer?.cancel()
        if (record.exit == null) record.bootTimer = later(settings.supervision.bootTimeout, PrimaryInput.BootTimedOut(record.worker.id))
    }

    private fun later(delay: Duration, input: PrimaryInput): Job = scope.launch { delay(delay); enqueue(input) }

    private fun supervisedEnvironment(): Map<String, String> {
        val supervision = settings.supervision
        val limit = supervision.maxRequests
        val jitter = if (limit > 0 && supervision.maxRequestsJitter > 0) random.nextLong(supervision.maxRequestsJitter + 1) else 0
        return if (limit > 0) mapOf(WorkerEnvironment.MAX_REQUESTS to (limit + jitter).toString()) else emptyMap()
    }

    private suspend fun killAll(signal: Signal, done: CompletableDeferred<Unit>) {
        execute(supervisor.stop())
        if (records.isEmpty()) return done.complete(Unit).also { supervisor.stopped() }.let { }
        disconnectWaiters += done
        records.values.toList().forEach { stopper.kill(it, signal) }
    }

    /** The record [link] belongs to; null for a link the loop refused or replaced. */
    private fun current(workerId: Int, link: WorkerLink): WorkerRecord? = records[workerId]?.takeIf { it.link === link }

    private suspend fun emit(event: ClusterEvent) = _events.emit(event)

    /** Emits [event] of [record]'s worker, unless it is a standby, which the cluster does not see yet. */
    private suspend fun emitFor(record: WorkerRecord, event: ClusterEvent) {
        if (record.standby) log.debug { "standby worker ${record.worker.id}: $event" } else emit(event)
    }

    private fun newToken(): String = HexFormat.of().formatHex(ByteArray(24).also { random.nextBytes(it) })

    private fun sameToken(expected: String, actual: String) = MessageDigest.isEqual(expected.toByteArray(), actual.toByteArray())

    private companion object {
        const val EVENT_BUFFER = 4096
        const val LAUNCH_FAILED = 127
        const val COMMAND_LOG_CHARS = 300
        val EXIT_DRAIN_WAIT = 5.seconds
        val ROUTE_WAIT = 2.seconds
        val random = SecureRandom()
    }
}
