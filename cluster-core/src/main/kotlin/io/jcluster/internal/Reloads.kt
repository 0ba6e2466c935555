package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterState
import io.jcluster.ExitReason
import io.jcluster.ReloadFailedException
import io.jcluster.ReloadFinished
import io.jcluster.ReloadResult
import io.jcluster.ReloadStarted
import io.jcluster.Supervision
import io.jcluster.internal.SupervisorAction.Answer
import io.jcluster.internal.SupervisorAction.Emit
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.flow.MutableStateFlow
import kotlin.time.TimeSource

private val log = KotlinLogging.logger {}

/**
 * The supervisor's zero-downtime reloads, one [ReloadRun] at a time: it replaces the slots' workers
 * in order, at most [Supervision.reloadParallelism] booting at once (and any more that an online
 * standby takes, with no boot), each old worker retired once its
 * replacement is ready; reloads asked for meanwhile make one more after it. [replace] gives a slot a
 * booting replacement (the supervisor's own step); every method adds to the [Plan] of its step.
 */
internal class Reloads(
    private val work: Workforce,
    private val clock: TimeSource.WithComparableMarks,
    private val slots: Slots,
    private val standbys: StandbyPool,
    private val state: MutableStateFlow<ClusterState>,
    private val replace: (Plan, Slot, ExitReason) -> Unit,
) {
    private var run: ReloadRun? = null

    /** A reload is asked for; [done] hears how it went. */
    fun request(plan: Plan, done: CompletableDeferred<ReloadResult>) {
        val now = state.value
        val current = run
        when {
            !now.respawns -> plan += Answer(done, Result.failure(ReloadFailedException("cannot reload: the cluster is $now")))
            current != null -> current.next += done
            else -> start(plan, listOf(done))
        }
    }

    /** Whether a reload runs with slots whose replacement has not started yet. */
    fun hasSlotsToStart(): Boolean = run?.let { it.failure == null && it.queue.isNotEmpty() } ?: false

    /** Slot [index] is gone (scaled down): the reload no longer waits for it; [settle] once all are forgotten. */
    fun forget(index: Int) {
        run?.forget(index)
    }

    /** Finishes the reload if nothing of it is left. */
    fun settle(plan: Plan) {
        run?.let { finishIfDone(plan, it) }
    }

    /** Slot [index]'s new worker is ready, and [replaced] (if any) is being retired. */
    fun replacementReady(plan: Plan, index: Int, replaced: WorkerRecord?) {
        val run = run ?: return
        if (replaced != null && index in run.replacing) run.retiring += replaced.worker.id
        if (!run.replacing.remove(index)) return
        if (replaced != null) run.replaced++
        pump(plan, run)
        finishIfDone(plan, run)
    }

    /** Worker [id] exited: a reload waiting for it to drain may be done. */
    fun exited(plan: Plan, id: Int) {
        val run = run ?: return
        if (run.retiring.remove(id)) finishIfDone(plan, run)
    }

    /** Slot [index]'s booting worker died; returns whether that was the reload's replacement, which stops the reload. */
    fun replacementDied(plan: Plan, index: Int, why: String): Boolean {
        val run = run?.takeIf { it.replacing.remove(index) } ?: return false
        abort(plan, run, why)
        return true
    }

    /** Stops the reload, if one runs, because of [why]: the workers not yet replaced keep serving. */
    fun abort(plan: Plan, why: String) {
        run?.let { abort(plan, it, why) }
    }

    private fun start(plan: Plan, waiters: List<CompletableDeferred<ReloadResult>>) {
        val run = ReloadRun(waiters, clock.markNow(), ArrayDeque(slots.indices()))
        this.run = run
        // Standbys run the code the reload replaces, unless they were started from the build on disk and may be taken; topUp starts new ones.
        if (work.supervision.reloadTakesStandbys) standbys.retireOtherBuilds(plan, work.codeKey()) else standbys.retireAll(plan)
        state.value = ClusterState.Reloading
        plan += Emit(ReloadStarted(run.queue.size))
        pump(plan, run)
        standbys.topUp(plan)
        finishIfDone(plan, run)
    }

    /** A standby came online (the next slot may take it) or died (the next slot may fork instead of waiting for it). */
    fun standbysChanged(plan: Plan) {
        run?.let { pump(plan, it) }
    }

    /**
     * Starts the next slots' replacements: each takes an online standby if there is one; otherwise it
     * forks, while fewer than [Supervision.reloadParallelism] JVMs boot. A booting standby counts: the
     * slot waits for it rather than start a second JVM beside it on the same cores.
     */
    private fun pump(plan: Plan, run: ReloadRun) {
        while (run.failure == null && (run.replacing.size + standbys.booting() < work.supervision.reloadParallelism || standbys.hasOnline())) {
            val slot = slots[run.queue.removeFirstOrNull() ?: return] ?: continue
            // A slot already filling (respawn) or being replaced gets a new worker anyway.
            if (slot.pending != null || slot.active == null) continue
            replace(plan, slot, ExitReason.RELOAD)
            if (slot.pending != null) run.replacing += slot.index
        }
    }

    private fun abort(plan: Plan, run: ReloadRun, why: String) {
        log.debug { "reload stopped: $why; the workers not yet replaced keep serving" } // LifecycleLog says "reload failed"
        run.failure = why
        run.queue.clear()
        finishIfDone(plan, run)
    }

    private fun finishIfDone(plan: Plan, run: ReloadRun) {
        if (this.run !== run || !run.done) return
        this.run = null
        if (state.value == ClusterState.Reloading) state.value = ClusterState.Running
        plan += Emit(ReloadFinished(run.replaced, run.failure))
        run.waiters.forEach { plan += Answer(it, run.result()) }
        if (run.next.isEmpty()) return standbys.topUp(plan) // after the answers: the callers need not wait for JVMs to be launched
        val now = state.value
        if (now.respawns) start(plan, run.next) else run.next.forEach { plan += Answer(it, Result.failure(ReloadFailedException("cannot reload: the cluster is $now"))) }
    }
}

/** Whether slots are filled and workers replaced in this state: running or reloading, not idle, stopping or failed. */
internal val ClusterState.respawns: Boolean get() = this == ClusterState.Running || this == ClusterState.Reloading
