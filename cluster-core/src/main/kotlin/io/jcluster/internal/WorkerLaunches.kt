package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterSettings
import io.jcluster.ExitStatus
import io.jcluster.Signal
import io.jcluster.WorkerEvent
import io.jcluster.WorkerOutput
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlin.random.Random
import kotlin.time.Duration

private val log = KotlinLogging.logger {}

/**
 * How a worker enters the primary's loop: its process is launched with its token, it joins the
 * [WorkerTable] (a warm standby only once promoted), and a supervised one gets its boot timeout.
 * A launch that fails is an exit at once ([WorkerExits]).
 */
internal class WorkerLaunches(
    private val records: WorkerTable,
    private val launcher: ProcessLauncher,
    private val commands: WorkerCommands,
    private val settings: () -> ClusterSettings,
    private val exits: WorkerExits,
    private val scope: CoroutineScope,
    private val loop: LoopSide,
) {
    /** Runs on the loop before each fork, with the slot (null for `fork()`); what it throws is logged. */
    @Volatile var beforeFork: (Int?) -> Unit = {}

    /** Where later forks' output lines go under [io.jcluster.Stdio.PIPE] (the logger plugin sets its own). */
    @Volatile var output: WorkerOutput = WorkerOutput.CONSOLE

    /** Set when the primary closes; a process launched after that is killed at once. */
    @Volatile var closing: Boolean = false

    /** Starts [record]'s process; a standby stays out of `workers` and its events until it is promoted. */
    suspend fun launch(record: WorkerRecord, environment: Map<String, String>) {
        val worker = record.worker
        records.add(record)
        if (!record.standby) join(record)
        val spec = commands.spec(worker.id, record.token, settings(), environment).copy(output = output)
        val process = try {
            launcher.launch(spec)
        } catch (e: Exception) {
            log.error { "cannot start worker ${worker.id}: $e (command: ${spec.command.joinToString(" ").take(COMMAND_LOG_CHARS)}…)" }
            commands.exited(spec)
            loop.emitFor(record, WorkerEvent.Forked(worker))
            exits.exited(record, ExitStatus(LAUNCH_FAILED, null), listOf("cannot start ${spec.command.first()}: ${e.message}"))
            return
        }
        record.process = process
        worker.processHandle = process.handle // before the check below: close() either sees this handle or we see closing
        process.handle?.let { records.processStarted(worker.id, it) }
        if (closing) process.signal(Signal.KILL)
        loop.emitFor(record, WorkerEvent.Forked(worker))
        process.onExit { exit, stderr ->
            commands.exited(spec)
            loop.enqueue(PrimaryInput.Exited(worker.id, exit, stderr))
        }
    }

    /** Launches [record], a supervised worker of its slot or a warm standby, and starts its boot timeout. */
    suspend fun forkSupervised(record: WorkerRecord) {
        val place = if (record.standby) WorkerEnvironment.STANDBY to "1" else WorkerEnvironment.SLOT to record.worker.slot.toString()
        launch(record, supervisedEnvironment() + place)
        startBootTimer(record)
    }

    /**
     * Makes the online standby [record] the worker of [slot]: it joins the cluster with its `Forked`
     * and `Online` events, as if it had just been forked, and its waiting calls go on. Its boot ends
     * when it is ready in its slot, not when it came online: the boot timeout starts again.
     */
    suspend fun promote(record: WorkerRecord, slot: Int) {
        startBootTimer(record)
        record.standby = false
        record.worker.slot = slot
        join(record)
        // Written from the loop's own thread, before the events: the standby goes on while the cluster hears of it.
        record.link?.let { link -> scope.launch(start = CoroutineStart.UNDISPATCHED) { runCatching { link.sendControl(ControlMessage.Promote(slot)) } } }
        log.info { "worker ${record.worker.id} (pid ${record.process?.pid}), a warm standby, now serves slot $slot" }
        loop.emit(WorkerEvent.Forked(record.worker))
        loop.emit(WorkerEvent.Online(record.worker))
        loop.enqueue(PrimaryInput.Promoted(record.worker.id))
    }

    /** Enqueues [input] after [delay]. */
    fun later(delay: Duration, input: PrimaryInput): Job = scope.launch { delay(delay); loop.enqueue(input) }

    /** [record]'s worker joins the cluster: it is in `workers`, and the plugins hear of its fork. */
    private fun join(record: WorkerRecord) {
        records.show(record)
        runCatching { beforeFork(record.worker.slot) }.onFailure { log.error(it) { "a before-fork hook failed; forking anyway" } }
    }

    /** (Re)starts [record]'s boot timeout, unless its launch failed. */
    private fun startBootTimer(record: WorkerRecord) {
        record.bootTimer?.cancel()
        if (record.exit == null) record.bootTimer = later(settings().supervision.bootTimeout, PrimaryInput.BootTimedOut(record.worker.id))
    }

    private fun supervisedEnvironment(): Map<String, String> {
        val supervision = settings().supervision
        val limit = supervision.maxRequests
        val jitter = if (limit > 0 && supervision.maxRequestsJitter > 0) Random.nextLong(supervision.maxRequestsJitter + 1) else 0
        return if (limit > 0) mapOf(WorkerEnvironment.MAX_REQUESTS to (limit + jitter).toString()) else emptyMap()
    }

    private companion object {
        const val LAUNCH_FAILED = 127
        const val COMMAND_LOG_CHARS = 300
    }
}
