package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterEvent
import io.jcluster.ClusterFailed
import io.jcluster.ClusterState
import io.jcluster.CullOrder
import io.jcluster.ExitReason
import io.jcluster.ReloadFailedException
import io.jcluster.ReloadFinished
import io.jcluster.ReloadResult
import io.jcluster.ReloadStarted
import io.jcluster.RespawnScheduled
import io.jcluster.Supervision
import io.jcluster.Worker
import io.jcluster.WorkerLoad
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import java.util.TreeMap
import kotlin.time.ComparableTimeMark
import kotlin.time.Duration
import kotlin.time.TimeSource

private val log = KotlinLogging.logger {}

/** What the [Supervisor] asks of the primary's loop. Every call happens on the loop's coroutine. */
internal interface Workforce {
    val supervision: Supervision

    /** Forks a supervised worker into [slot]. */
    suspend fun fork(slot: Int): WorkerRecord

    /** Forks a warm standby: a supervised worker with no slot, unseen by the cluster until [promote]d. */
    suspend fun forkStandby(): WorkerRecord

    /** Gives the online standby [record] [slot]; it joins the cluster as if just forked into it. */
    suspend fun promote(record: WorkerRecord, slot: Int)

    /** Disconnects [record] gracefully (timeout, then kill); its exit will carry [reason]. */
    suspend fun retire(record: WorkerRecord, reason: ExitReason)

    /** Asks [record] for a thread dump, then kills it; its exit will carry [reason]. */
    fun dumpAndKill(record: WorkerRecord, reason: ExitReason)

    fun send(record: WorkerRecord, message: ControlMessage)

    /** Enqueues [input] after [delay]. */
    fun later(delay: Duration, input: PrimaryInput): Job

    suspend fun emit(event: ClusterEvent)
}

/**
 * The supervision policies of [Supervision], as the primary's reconcile loop: a number of slots is the
 * desired state, and after every event each slot gets back to one ready worker. A slot holds its
 * `active` (ready) worker and at most one `pending` worker booting to fill or replace it; a pending one
 * that becomes ready takes the slot and the one it replaces is retired. Respawn, reload, recycling and
 * scaling are all "fill a slot" or "replace a slot's worker" (see the README's supervision table).
 *
 * With [Supervision.standby], warm standbys started ahead fill slots in place of a fork. A reload,
 * whose point is new code, first retires the standbys it finds (they run the old code) and starts new
 * ones, which then take their turn among its replacements; so a reload leaves fresh standbys behind.
 * Otherwise standbys start only while the cluster is settled (every slot's worker ready), so that a
 * standby's boot never competes with that of a worker that replaces a dead one.
 */
internal class Supervisor(private val work: Workforce, private val clock: TimeSource.WithComparableMarks, private val memory: MemoryProbe) {
    private class Slot(val index: Int) {
        var active: WorkerRecord? = null
        var pending: WorkerRecord? = null

        /** Why [pending] replaces [active]; null when it fills an empty slot. */
        var pendingFor: ExitReason? = null
        var deathsInARow = 0
        var respawn: Job? = null
    }

    private val slots = TreeMap<Int, Slot>()
    private val budget = RestartBudget()
    private var bootFailuresInARow = 0
    private var reload: ReloadRun? = null
    private var ticker: Job? = null
    private var pingSeq = 0L

    private val standbys = StandbyPool(work) {
        // While a reload runs, standbys (of the new code) start at once; otherwise once no slot boots a worker.
        val state = _state.value
        slots.isNotEmpty() && (state == ClusterState.Reloading || state == ClusterState.Running && slots.values.none { it.pending != null })
    }

    /** The pids of the online standbys, ready to be promoted. */
    val standbyPids: StateFlow<List<Long>> get() = standbys.pids
    private val _state = MutableStateFlow<ClusterState>(ClusterState.Idle)

    val state: StateFlow<ClusterState> = _state.asStateFlow()

    /** One ready worker per slot. */
    fun activeWorkers(): List<Worker> = slots.values.mapNotNull { it.active?.worker }

    suspend fun spawn(n: Int) {
        val now = _state.value
        if (now is ClusterState.Failed) return log.warn { "spawn($n) ignored: the cluster has failed (${now.reason})" }
        if (n > 0) grow(n) else shrink(-n)
        if (slots.isNotEmpty() && (now == ClusterState.Idle || now == ClusterState.Stopping)) _state.value = ClusterState.Running
        if (ticker == null && slots.isNotEmpty()) ticker = work.later(work.supervision.heartbeatInterval, PrimaryInput.Tick)
        if (slots.isEmpty()) standbys.retireAll() else standbys.topUp()
    }

    private suspend fun grow(n: Int) = repeat(n) {
        val index = generateSequence(0) { it + 1 }.first { it !in slots }
        val slot = Slot(index).also { slots[index] = it }
        fill(slot)
    }

    /** Retires [n] slots: empty ones first, then by [Supervision.cullOrder] of their active worker's age. */
    private suspend fun shrink(n: Int) {
        val byAge = compareBy<Slot> { it.active != null }.thenComparator { a, b ->
            val older = a.active!!.startedAt.compareTo(b.active!!.startedAt)
            if (work.supervision.cullOrder == CullOrder.YOUNGEST) -older else older
        }
        slots.values.sortedWith(byAge).take(n).forEach { slot ->
            slots.remove(slot.index)
            slot.respawn?.cancel()
            reload?.forget(slot.index)
            listOfNotNull(slot.active, slot.pending).forEach { work.retire(it, ExitReason.SCALE_DOWN) }
        }
        reload?.let { finishIfDone(it) }
    }

    suspend fun ready(record: WorkerRecord) {
        bootFailuresInARow = 0
        record.bootTimer?.cancel()
        record.readyAt = clock.markNow()
        record.lastPong = record.readyAt
        val slot = slotOf(record)?.takeIf { it.pending === record } ?: return
        val replaced = slot.active
        val reason = slot.pendingFor ?: ExitReason.RELOAD
        slot.active = record
        slot.pending = null
        slot.pendingFor = null
        val run = reload
        if (replaced != null) {
            work.retire(replaced, reason)
            if (run != null && slot.index in run.replacing) run.retiring += replaced.worker.id
        }
        if (run != null && run.replacing.remove(slot.index)) {
            if (replaced != null) run.replaced++
            pump(run)
            finishIfDone(run)
        }
        standbys.topUp()
    }

    /** [record] exited with [reason] (after its `Exited` event). */
    suspend fun exited(record: WorkerRecord, reason: ExitReason) {
        record.bootTimer?.cancel()
        if (standbys.exited(record, reason)) return
        reload?.let { if (it.retiring.remove(record.worker.id)) finishIfDone(it) }
        val slot = slotOf(record) ?: return
        if (slot.pending === record) pendingDied(slot, record, reason) else activeDied(slot, record, reason)
    }

    private suspend fun activeDied(slot: Slot, record: WorkerRecord, reason: ExitReason) {
        slot.active = null
        if (slot.pending != null) {
            // Its replacement is already booting: it now fills an empty slot.
            slot.pendingFor = null
            if (reason.isFailure) budget.spend(clock.markNow(), work.supervision)
            return
        }
        if (reason.isFailure) respawnLater(slot, record, reason) else fill(slot)
    }

    private suspend fun pendingDied(slot: Slot, record: WorkerRecord, reason: ExitReason) {
        val replacing = slot.pendingFor
        slot.pending = null
        slot.pendingFor = null
        val why = "the replacement for slot ${slot.index} ${record.describe(reason)}"
        val run = reload?.takeIf { it.replacing.remove(slot.index) }
        run?.let { abort(it, why) }
        if (replacing != null) {
            if (run == null) log.warn { "$why; worker ${slot.active?.worker?.id} keeps serving (${replacing.name.lowercase()} not done)" }
            return
        }
        if (!reason.isFailure) return fill(slot)
        bootFailuresInARow++
        val supervision = work.supervision
        when {
            record.exit?.code == Supervision.CANNOT_BOOT -> fail("worker ${record.worker.id} cannot boot (it exited with ${Supervision.CANNOT_BOOT})${record.stderrLines()}")
            bootFailuresInARow >= supervision.maxBootFailures ->
                fail("$bootFailuresInARow workers in a row died before they were ready; the last ${record.describe(reason)}")
            else -> respawnLater(slot, record, reason)
        }
    }

    private suspend fun respawnLater(slot: Slot, record: WorkerRecord, reason: ExitReason) {
        val supervision = work.supervision
        if (!budget.spend(clock.markNow(), supervision)) {
            return fail("${budget.spent} unexpected worker deaths within ${supervision.restartWindow} (maxRestarts = ${supervision.maxRestarts}); the last ${record.describe(reason)}")
        }
        val served = record.readyAt?.elapsedNow()
        if (served != null && served >= supervision.healthyUptime) slot.deathsInARow = 0
        slot.deathsInARow++
        val delay = respawnDelay(supervision, slot.deathsInARow)
        work.emit(RespawnScheduled(slot.index, delay, budget.spent))
        slot.respawn = work.later(delay, PrimaryInput.Respawn(slot.index))
    }

    suspend fun respawn(index: Int) {
        val slot = slots[index] ?: return
        if (slot.active == null && slot.pending == null && _state.value.respawns) fill(slot)
    }

    private suspend fun fail(reason: String) {
        log.error { "the cluster failed, nothing will be respawned: $reason" }
        _state.value = ClusterState.Failed(reason)
        slots.values.forEach { it.respawn?.cancel() }
        standbys.retireAll()
        reload?.let { abort(it, "the cluster failed: $reason") }
        work.emit(ClusterFailed(reason))
    }

    /** Replaces [slot]'s active worker gracefully: fork, wait until ready, retire the old one. */
    private suspend fun replace(slot: Slot, reason: ExitReason) {
        if (slot.pending != null || slot.active == null || !_state.value.respawns) return
        fill(slot, reason)
    }

    /**
     * Gives [slot] a pending worker, to fill it or (with [replacing]) to replace its active one: an
     * online standby if there is one, else a fork. A fork whose launch failed has exited already,
     * before it was the slot's: it is handled as a death now.
     */
    private suspend fun fill(slot: Slot, replacing: ExitReason? = null) {
        val standby = standbys.take()
        val record = standby ?: work.fork(slot.index)
        slot.pending = record
        slot.pendingFor = replacing
        when {
            standby != null -> work.promote(standby, slot.index)
            record.exit != null -> exited(record, ExitReason.CRASH)
        }
    }

    /** The worker asked to be replaced (it served its `maxRequests`). */
    suspend fun recycle(record: WorkerRecord, reason: ExitReason) {
        val slot = slotOf(record)?.takeIf { it.active === record } ?: return
        log.info { "replacing worker ${record.worker.id} (slot ${slot.index}): ${reason.name.lowercase()}" }
        replace(slot, reason)
    }

    fun pong(record: WorkerRecord, message: ControlMessage.Pong) {
        record.lastPong = clock.markNow()
        record.liveHeap = message.liveHeap
        record.worker.lastReport = WorkerReport(message.liveHeap, WorkerLoad(message.requests, message.openConnections))
    }

    /** The heartbeat: pings each active worker, kills the hung ones, recycles those over their memory limits. */
    suspend fun tick() {
        val supervision = work.supervision
        ticker = if (slots.isEmpty()) null else work.later(supervision.heartbeatInterval, PrimaryInput.Tick)
        for (slot in slots.values.toList()) {
            val record = slot.active?.takeIf { it.isServing } ?: continue
            val silent = record.lastPong?.elapsedNow()
            val timeout = supervision.heartbeatTimeout
            if (timeout != null && silent != null && silent > timeout) {
                log.error { "worker ${record.worker.id} (pid ${record.process?.pid}) has not answered a heartbeat for $silent; its thread dump follows in its output, then it is killed" }
                work.dumpAndKill(record, ExitReason.HEARTBEAT)
                continue
            }
            work.send(record, ControlMessage.Ping(++pingSeq))
            overMemory(record, supervision)?.let { why ->
                log.warn { "worker ${record.worker.id} uses too much memory ($why): replacing it" }
                replace(slot, ExitReason.MEMORY)
            }
        }
    }

    private fun overMemory(record: WorkerRecord, supervision: Supervision): String? {
        supervision.maxHeap?.let { limit -> if (record.liveHeap > limit) return "live heap ${record.liveHeap} > maxHeap $limit bytes" }
        val limit = supervision.maxRss ?: return null
        val rss = record.process?.pid?.let { memory.residentBytes(it) } ?: return null
        return if (rss > limit) "RSS $rss > maxRss $limit bytes" else null
    }

    fun bootTimedOut(record: WorkerRecord) {
        if (record.ready || record.exit != null || record.standby && record.link != null) return
        log.error { "worker ${record.worker.id} was not ready within ${work.supervision.bootTimeout}: its thread dump follows in its output, then it is killed" }
        work.dumpAndKill(record, ExitReason.BOOT_TIMEOUT)
    }

    suspend fun reload(done: CompletableDeferred<ReloadResult>) {
        val now = _state.value
        if (!now.respawns) return done.completeExceptionally(ReloadFailedException("cannot reload: the cluster is $now")).let { }
        reload?.let { it.next += done; return }
        start(listOf(done))
    }

    private suspend fun start(waiters: List<CompletableDeferred<ReloadResult>>) {
        val run = ReloadRun(waiters, clock.markNow(), ArrayDeque(slots.keys))
        reload = run
        standbys.retireAll() // they run the code the reload replaces; topUp starts new ones
        _state.value = ClusterState.Reloading
        work.emit(ReloadStarted(run.queue.size))
        pump(run)
        standbys.topUp()
        finishIfDone(run)
    }

    private suspend fun pump(run: ReloadRun) {
        while (run.failure == null && run.replacing.size < work.supervision.reloadParallelism) {
            val slot = slots[run.queue.removeFirstOrNull() ?: return] ?: continue
            // A slot already filling (respawn) or being replaced gets a new worker anyway.
            if (slot.pending != null || slot.active == null) continue
            replace(slot, ExitReason.RELOAD)
            if (slot.pending != null) run.replacing += slot.index
        }
    }

    private suspend fun abort(run: ReloadRun, why: String) {
        log.warn { "reload stopped: $why; the workers not yet replaced keep serving" }
        run.failure = why
        run.queue.clear()
        finishIfDone(run)
    }

    private suspend fun finishIfDone(run: ReloadRun) {
        if (reload !== run || run.queue.isNotEmpty() && run.failure == null || run.replacing.isNotEmpty() || run.retiring.isNotEmpty()) return
        reload = null
        if (_state.value == ClusterState.Reloading) _state.value = ClusterState.Running
        work.emit(ReloadFinished(run.replaced, run.failure))
        standbys.topUp()
        val failure = run.failure
        run.waiters.forEach {
            if (failure == null) it.complete(ReloadResult(run.replaced, run.started.elapsedNow())) else it.completeExceptionally(ReloadFailedException("reload failed: $failure"))
        }
        if (run.next.isEmpty()) return
        val now = _state.value
        if (now.respawns) start(run.next) else run.next.forEach { it.completeExceptionally(ReloadFailedException("cannot reload: the cluster is $now")) }
    }

    /** The primary disconnects everything: no more respawns, reloads or heartbeats. */
    suspend fun stop() {
        _state.value = ClusterState.Stopping
        slots.values.forEach { it.respawn?.cancel() }
        slots.clear()
        ticker?.cancel()
        ticker = null
        standbys.forget() // the loop disconnects every worker, standbys too
        reload?.let { abort(it, "the cluster is stopping") }
    }

    /** Every worker is gone after [stop]. */
    fun stopped() {
        if (_state.value == ClusterState.Stopping) _state.value = ClusterState.Idle
    }

    /** The standby [record] is online: it may fill a slot from now on. */
    fun standbyOnline(record: WorkerRecord) = standbys.online(record)

    /** The settings changed: standbys started under the old ones are replaced. */
    suspend fun settingsChanged() {
        standbys.retireAll()
        standbys.topUp()
    }

    /** The backoff after a standby's death is over. */
    suspend fun standbyBackoffOver() = standbys.backoffOver()

    private fun slotOf(record: WorkerRecord): Slot? =
        record.worker.slot?.let { slots[it] }?.takeIf { it.active === record || it.pending === record }

    /** One reload: slots still to replace, replacements booting, replaced workers still draining. */
    private class ReloadRun(
        val waiters: List<CompletableDeferred<ReloadResult>>,
        val started: ComparableTimeMark,
        val queue: ArrayDeque<Int>,
    ) {
        val replacing = HashSet<Int>()
        val retiring = HashSet<Int>()
        var replaced = 0
        var failure: String? = null

        /** Reloads asked for while this one ran: one more reload runs after it, for all of them. */
        val next = ArrayList<CompletableDeferred<ReloadResult>>()

        fun forget(slot: Int) {
            queue.remove(slot)
            replacing.remove(slot)
        }
    }

    private companion object {
        val ClusterState.respawns: Boolean get() = this == ClusterState.Running || this == ClusterState.Reloading
    }
}
