package io.jcluster.internal

import io.jcluster.ExitReason
import io.jcluster.Supervision

/**
 * The supervisor's heartbeat: one tick per [Supervision.heartbeatInterval] while the cluster has
 * slots. Each tick pings every serving active worker and has [Liveness] judge it: a hung one is
 * dumped and killed here, an unwell one is handed back for a graceful replacement.
 */
internal class Heartbeat(memory: MemoryProbe) {
    private val liveness = Liveness(memory)
    private var ticking = false
    private var token = 0L

    /** Schedules the first tick once there are [slots] and no tick is under way. */
    fun keepGoing(plan: Plan, slots: Slots, supervision: Supervision) {
        if (ticking || slots.isEmpty()) return
        ticking = true
        plan += SupervisorAction.After(supervision.heartbeatInterval, PrimaryInput.Tick(token))
    }

    /** No more ticks: the ones already scheduled are stale when they come. */
    fun stop() {
        ticking = false
        token++
    }

    /**
     * A tick with [token] came: unless it is stale, schedules the next, pings and judges each active
     * worker, and returns the unwell ones, whose slots should get a replacement.
     */
    fun tick(plan: Plan, token: Long, slots: Slots, supervision: Supervision): List<Unwell> {
        if (token != this.token) return emptyList()
        if (slots.isEmpty()) {
            ticking = false
            return emptyList()
        }
        plan += SupervisorAction.After(supervision.heartbeatInterval, PrimaryInput.Tick(token))
        val unwell = ArrayList<Unwell>()
        for (slot in slots.toList()) {
            val record = slot.active?.takeIf { it.isServing } ?: continue
            when (val verdict = liveness.check(record, supervision)) {
                Liveness.Verdict.Hung -> plan += SupervisorAction.DumpAndKill(record, ExitReason.HEARTBEAT)
                Liveness.Verdict.Alive -> plan += SupervisorAction.Send(record, liveness.ping())
                is Liveness.Verdict.Unwell -> {
                    plan += SupervisorAction.Send(record, liveness.ping())
                    unwell += Unwell(slot, record, verdict)
                }
            }
        }
        return unwell
    }

    /** [record], the active worker of [slot], is alive but unwell as [verdict] says. */
    data class Unwell(val slot: Slot, val record: WorkerRecord, val verdict: Liveness.Verdict.Unwell)
}
