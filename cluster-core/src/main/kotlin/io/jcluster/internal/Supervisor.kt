package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterFailed
import io.jcluster.ClusterState
import io.jcluster.ExitReason
import io.jcluster.ReloadResult
import io.jcluster.RespawnScheduled
import io.jcluster.ScaleResult
import io.jcluster.Supervision
import io.jcluster.Worker
import io.jcluster.internal.SupervisorAction.After
import io.jcluster.internal.SupervisorAction.Emit
import io.jcluster.internal.SupervisorAction.Fork
import io.jcluster.internal.SupervisorAction.Promote
import io.jcluster.internal.SupervisorAction.Resized
import io.jcluster.internal.SupervisorAction.Retire
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlin.time.Duration
import kotlin.time.TimeSource

private val log = KotlinLogging.logger {}

/** What the [Supervisor] needs of the primary's loop: its settings, and records for new workers. */
internal interface Workforce {
    val supervision: Supervision

    /** A new worker's record, not yet launched: a worker of [slot], or a warm standby if null. */
    fun newRecord(slot: Int?): WorkerRecord

    /** The [BuildKey.ofCode] of the workers' code as it is on disk now; null if it cannot be told. */
    fun codeKey(): String?
}

/**
 * The supervision policies of [Supervision], as a reconcile step: the [Slots] are the desired state
 * (and the one count of wanted workers), and after every event each slot gets back to one ready
 * worker. Each entry point changes the slots and returns the [SupervisorAction]s that get there,
 * which the primary's loop then carries out; it never calls the loop back. Respawn, reload,
 * recycling and scaling are all "fill a slot" or "replace a slot's worker".
 *
 * Empty slots are filled at the end of every step ([reconcile]), at most [Supervision.maxBooting]
 * at a time, so a burst of scale changes, deaths and boots converges on the slots' count.
 */
internal class Supervisor(private val work: Workforce, private val clock: TimeSource.WithComparableMarks, memory: MemoryProbe) {
    private val slots = Slots(work)
    private val budget = RestartBudget()
    private val heartbeat = Heartbeat(memory)
    private var bootFailuresInARow = 0
    private var respawnTokens = 0L
    private val _state = MutableStateFlow<ClusterState>(ClusterState.Idle)
    private val _desired = MutableStateFlow(0)
    private val _active = MutableStateFlow<List<Worker>>(emptyList())

    private val standbys: StandbyPool = StandbyPool(work) {
        // While a reload has slots left to start, standbys (of the new code) start at once, to serve them; otherwise once every
        // slot has a ready worker, so that no standby's boot takes the cores from the old workers' drain or a replacement's boot.
        val state = _state.value
        slots.isNotEmpty() && (state == ClusterState.Reloading && reloads.hasSlotsToStart() || state == ClusterState.Running && slots.settled())
    }
    private val reloads: Reloads = Reloads(work, clock, slots, standbys, _state) { plan, slot, reason -> plan.replace(slot, reason) }

    /** The pids of the online standbys, ready to be promoted. */
    val standbyPids: StateFlow<List<Long>> get() = standbys.pids

    val state: StateFlow<ClusterState> = _state.asStateFlow()

    /** How many workers the cluster keeps: its slots. */
    val desired: StateFlow<Int> = _desired.asStateFlow()

    /** One ready worker per slot, as of the last step. */
    fun activeWorkers(): List<Worker> = _active.value

    /** Changes the number of slots; [Resized] tells the plugins, [ScaleResult] the caller. */
    fun resize(change: Resize): Pair<ScaleResult, List<SupervisorAction>> {
        var outcome = ScaleResult(slots.size, slots.size)
        val actions = step {
            val from = slots.size
            val to = change.target(from)
            val refused = change.refusal(from, to, _state.value, work.supervision.maxWorkers)
            outcome = ScaleResult(from, if (refused == null) to else from, refused)
            if (refused != null) return@step log.warn { refused }
            if (to == from) return@step
            this += Resized(from, to)
            if (to > from) slots.grow(to - from) else shrink(from - to)
            val now = _state.value
            if (slots.isNotEmpty() && (now == ClusterState.Idle || now == ClusterState.Stopping)) _state.value = ClusterState.Running
        }
        return outcome to actions
    }


    /** Retires [n] slots in [Slots.cullOrder]: booting ones before serving ones. */
    private fun Plan.shrink(n: Int) {
        for (slot in slots.toCull(n)) {
            slots.remove(slot)
            reloads.forget(slot.index)
            listOfNotNull(slot.active, slot.pending).forEach { this += Retire(it, ExitReason.SCALE_DOWN) }
        }
        reloads.settle(this)
    }

    fun ready(record: WorkerRecord): List<SupervisorAction> = step {
        bootFailuresInARow = 0
        val slot = slots.of(record)?.takeIf { it.pending === record } ?: return@step
        val replaced = slot.active
        val reason = slot.pendingFor ?: ExitReason.RELOAD
        slot.active = record
        slot.pending = null
        slot.pendingFor = null
        if (replaced != null) this += Retire(replaced, reason)
        reloads.replacementReady(this, slot.index, replaced)
    }

    /** [record] exited with [reason] (after its `Exited` event). */
    fun exited(record: WorkerRecord, reason: ExitReason): List<SupervisorAction> = step {
        if (standbys.exited(this, record, reason)) return@step reloads.standbysChanged(this)
        reloads.exited(this, record.worker.id)
        val slot = slots.of(record) ?: return@step
        if (slot.pending === record) pendingDied(slot, record, reason) else activeDied(slot, record, reason)
    }

    private fun Plan.activeDied(slot: Slot, record: WorkerRecord, reason: ExitReason) {
        slot.active = null
        if (slot.pending != null) {
            // Its replacement is already booting: it now fills an empty slot.
            slot.pendingFor = null
            if (reason.isFailure) budget.spend(clock.markNow(), work.supervision)
            return
        }
        if (reason.isFailure) respawnLater(slot, record, reason) // else reconcile fills it at once
    }

    private fun Plan.pendingDied(slot: Slot, record: WorkerRecord, reason: ExitReason) {
        val replacing = slot.pendingFor
        slot.pending = null
        slot.pendingFor = null
        val why = "the replacement for slot ${slot.index} ${record.describe(reason)}"
        val reloadStopped = reloads.replacementDied(this, slot.index, why)
        if (replacing != null) {
            if (!reloadStopped) log.warn { "$why; worker ${slot.active?.worker?.id} keeps serving (${replacing.name.lowercase()} not done)" }
            return
        }
        if (!reason.isFailure) return
        bootFailuresInARow++
        when {
            record.exit?.code == Supervision.CANNOT_BOOT -> fail("worker ${record.worker.id} cannot boot (it exited with ${Supervision.CANNOT_BOOT})${record.stderrLines()}")
            bootFailuresInARow >= work.supervision.maxBootFailures ->
                fail("$bootFailuresInARow workers in a row died before they were ready; the last ${record.describe(reason)}")
            else -> respawnLater(slot, record, reason)
        }
    }

    private fun Plan.respawnLater(slot: Slot, record: WorkerRecord, reason: ExitReason) {
        val supervision = work.supervision
        if (!budget.spend(clock.markNow(), supervision)) {
            return fail("${budget.spent} unexpected worker deaths within ${supervision.restartWindow} (maxRestarts = ${supervision.maxRestarts}); the last ${record.describe(reason)}")
        }
        // A worker that served for healthyUptime died of something other than a crash loop (a kill, an
        // OOM under load): its slot is filled at once, by a standby if there is one, as Node's and PM2's
        // are. The backoff resets, and only the deaths in a row after it wait; the budget counts them all.
        val served = record.readyAt?.elapsedNow()
        val healthy = served != null && served >= supervision.healthyUptime
        slot.deathsInARow = if (healthy) 0 else slot.deathsInARow + 1
        val delay = if (healthy) Duration.ZERO else respawnDelay(supervision, slot.deathsInARow)
        this += Emit(RespawnScheduled(slot.index, delay, budget.spent))
        if (healthy) return // reconcile fills the slot in this step
        val token = ++respawnTokens
        slot.respawnToken = token
        this += After(delay, PrimaryInput.Respawn(slot.index, token))
    }

    /** The backoff of slot [index] is over (unless [token] is stale): reconcile fills it. */
    fun respawn(index: Int, token: Long): List<SupervisorAction> = step {
        slots[index]?.takeIf { it.respawnToken == token }?.respawnToken = null
    }

    private fun Plan.fail(reason: String) {
        log.debug { "the cluster failed, nothing will be respawned: $reason" } // LifecycleLog says it at ERROR
        _state.value = ClusterState.Failed(reason)
        slots.forEach { it.respawnToken = null }
        standbys.retireAll(this)
        reloads.abort(this, "the cluster failed: $reason")
        this += Emit(ClusterFailed(reason))
    }

    /** Replaces [slot]'s active worker gracefully: fork, wait until ready, retire the old one. */
    private fun Plan.replace(slot: Slot, reason: ExitReason) {
        if (slot.pending != null || slot.active == null || !_state.value.respawns) return
        fill(slot, reason)
    }

    /** Gives [slot] a pending worker, to fill it or (with [replacing]) to replace its active one: an online standby if there is one, else a fork. */
    private fun Plan.fill(slot: Slot, replacing: ExitReason? = null) {
        val standby = standbys.take()
        val record = standby ?: work.newRecord(slot.index)
        slot.pending = record
        slot.pendingFor = replacing
        this += if (standby != null) Promote(standby, slot.index) else Fork(record)
    }

    /**
     * The end of every step: fills the empty slots that wait for no backoff (at most
     * [Supervision.maxBooting] booting at once), keeps the standbys and the heartbeat going, and
     * publishes what others read.
     */
    private fun Plan.reconcile() {
        if (_state.value.respawns) {
            var booting = slots.booting()
            for (slot in slots.toFill()) {
                if (booting >= work.supervision.maxBooting) break
                fill(slot)
                booting++
            }
        }
        if (slots.isEmpty()) standbys.retireAll(this) else standbys.topUp(this)
        heartbeat.keepGoing(this, slots, work.supervision)
        _desired.value = slots.size
        _active.value = slots.activeWorkers()
    }

    private inline fun step(block: Plan.() -> Unit): List<SupervisorAction> {
        val plan = Plan()
        plan.block()
        plan.reconcile()
        return plan.actions
    }

    /** The worker asked to be replaced (it served its `maxRequests`). */
    fun recycle(record: WorkerRecord, reason: ExitReason): List<SupervisorAction> = step {
        val slot = slots.of(record)?.takeIf { it.active === record } ?: return@step
        log.info { "replacing worker ${record.worker.id} (slot ${slot.index}): ${reason.name.lowercase()}" }
        replace(slot, reason)
    }

    /** The heartbeat (unless [token] is stale): pings each active worker, kills the hung ones, replaces the unwell ones ([Liveness]). */
    fun tick(token: Long): List<SupervisorAction> = step {
        heartbeat.tick(this, token, slots, work.supervision).forEach { replaceUnwell(it.slot, it.record, it.verdict) }
    }

    /** Replaces [record] gracefully as [verdict] says, once: later heartbeats find its replacement under way. */
    private fun Plan.replaceUnwell(slot: Slot, record: WorkerRecord, verdict: Liveness.Verdict.Unwell) {
        if (slot.pending != null || !_state.value.respawns) return
        log.warn { "worker ${record.worker.id}: ${verdict.why}; replacing it" + if (verdict.dump) " (its thread dump follows in its output)" else "" }
        if (verdict.dump) this += SupervisorAction.Dump(record)
        replace(slot, verdict.reason)
    }

    fun bootTimedOut(record: WorkerRecord): List<SupervisorAction> {
        if (record.ready || record.exit != null || record.standby && record.link != null) return emptyList()
        log.error { "worker ${record.worker.id} was not ready within ${work.supervision.bootTimeout}: its thread dump follows in its output, then it is killed" }
        return listOf(SupervisorAction.DumpAndKill(record, ExitReason.BOOT_TIMEOUT))
    }

    /** A zero-downtime reload is asked for; [done] hears how it went ([Reloads]). */
    fun reload(done: CompletableDeferred<ReloadResult>): List<SupervisorAction> = step { reloads.request(this, done) }

    /** The primary disconnects everything: no more respawns, reloads or heartbeats. */
    fun stop(): List<SupervisorAction> = step {
        _state.value = ClusterState.Stopping
        slots.clear()
        heartbeat.stop()
        standbys.forget() // the loop disconnects every worker, standbys too
        reloads.abort(this, "the cluster is stopping")
    }

    /** Every worker is gone after [stop]. */
    fun stopped() {
        if (_state.value == ClusterState.Stopping) _state.value = ClusterState.Idle
    }

    /** The standby [record] is online: it may fill a slot from now on. */
    fun standbyOnline(record: WorkerRecord): List<SupervisorAction> = step {
        standbys.online(record)
        reloads.standbysChanged(this)
    }

    /** The settings changed: standbys started under the old ones are replaced (reconcile starts new ones). */
    fun settingsChanged(): List<SupervisorAction> = step { standbys.retireAll(this) }

    /** The backoff after a standby's death is over (unless [token] is stale). */
    fun standbyBackoffOver(token: Long): List<SupervisorAction> = step { standbys.backoffOver(token) }
}
