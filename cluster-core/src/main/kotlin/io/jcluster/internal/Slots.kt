package io.jcluster.internal

import io.jcluster.CullOrder
import io.jcluster.ExitReason
import io.jcluster.Worker
import java.util.TreeMap

/**
 * One place of the cluster: its [active] (ready) worker and at most one [pending] worker booting to
 * fill or replace it. A pending one that becomes ready takes the slot, and the one it replaces is retired.
 */
internal class Slot(val index: Int) {
    var active: WorkerRecord? = null
    var pending: WorkerRecord? = null

    /** Why [pending] replaces [active]; null when it fills an empty slot. */
    var pendingFor: ExitReason? = null
    var deathsInARow = 0

    /** The token of the respawn this slot waits for (its backoff after a death); null when it waits for none. */
    var respawnToken: Long? = null

    /** No worker at all: reconcile fills it once [respawnToken] is null. */
    val isEmpty: Boolean get() = active == null && pending == null
}

/** The slots by index: the desired state of the [Supervisor], and the one count of wanted workers. */
internal class Slots(private val work: Workforce) : Iterable<Slot> {
    private val slots = TreeMap<Int, Slot>()

    val size: Int get() = slots.size

    fun isEmpty(): Boolean = slots.isEmpty()

    fun isNotEmpty(): Boolean = slots.isNotEmpty()

    operator fun get(index: Int): Slot? = slots[index]

    override fun iterator(): Iterator<Slot> = slots.values.iterator()

    fun indices(): List<Int> = slots.keys.toList()

    /** Adds [n] slots, each at the lowest free index (empty: reconcile fills them). */
    fun grow(n: Int) = repeat(n) {
        val index = generateSequence(0) { it + 1 }.first { it !in slots }
        slots[index] = Slot(index)
    }

    fun remove(slot: Slot) {
        slots.remove(slot.index)
    }

    fun clear() = slots.clear()

    /** The [n] slots to retire: empty ones, then booting ones, then serving ones, each in [io.jcluster.Supervision.cullOrder]. */
    fun toCull(n: Int): List<Slot> {
        val youngestFirst = work.supervision.cullOrder == CullOrder.YOUNGEST
        val byAge = Comparator<Slot> { a, b ->
            val older = compareValues((a.active ?: a.pending)?.startedAt, (b.active ?: b.pending)?.startedAt)
            if (youngestFirst) -older else older
        }
        return slots.values.sortedWith(compareBy<Slot>({ it.active != null }, { it.pending != null }).then(byAge)).take(n)
    }

    /** The empty slots that wait for no backoff, lowest first. */
    fun toFill(): List<Slot> = slots.values.filter { it.isEmpty && it.respawnToken == null }

    /** How many slots have a worker booting. */
    fun booting(): Int = slots.values.count { it.pending != null }

    /** Every slot has a ready worker and none boots: a standby's boot then competes with nobody's. */
    fun settled(): Boolean = slots.values.all { it.active != null && it.pending == null }

    fun activeWorkers(): List<Worker> = slots.values.mapNotNull { it.active?.worker }

    /** [record]'s slot, if [record] is still its active or pending worker. */
    fun of(record: WorkerRecord): Slot? =
        record.worker.slot?.let { slots[it] }?.takeIf { it.active === record || it.pending === record }
}
