package io.jcluster

import io.kotest.assertions.withClue
import io.kotest.matchers.collections.shouldHaveSize
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.mapNotNull
import kotlinx.coroutines.launch

/**
 * Settings for a primary whose workers run [TestWorker] as [behaviour] says, started the plain way (no
 * AppCDS) with [QUICK_BOOT] (a spec about the workers' collector or JIT sets its own jvmArgs).
 */
fun testSettings(behaviour: String): ClusterSettings = ClusterSettings(
    mainClass = TestWorker::class.java.name,
    args = emptyList(),
    jvmArgs = QUICK_BOOT,
    environment = mapOf("TEST_BEHAVIOUR" to behaviour),
    fastStart = false,
)

/**
 * Runs [block] with a primary made of [settings] and the [EventLog] of everything it emits, then
 * closes the primary, which kills every worker still running.
 */
suspend fun <T> withCluster(
    settings: ClusterSettings,
    react: suspend (ClusterEvent) -> Unit = {},
    block: suspend (Primary, EventLog) -> T,
): T = Primary(settings).use { primary -> primary.recording(react) { log -> block(primary, log) } }

/**
 * One event as the spec saw it, with what its worker looked like at that moment: its [state],
 * `isConnected()`, `isDead()`, and whether it was in [Primary.workers] ([registered]).
 */
data class Seen(
    val event: ClusterEvent,
    val state: WorkerState?,
    val connected: Boolean,
    val dead: Boolean,
    val registered: Boolean,
) {
    override fun toString(): String = "${event::class.simpleName}(${(event as? WorkerEvent)?.worker?.id}, $state)"
}

/**
 * Records [Primary.events] from the moment [recording] starts, before any fork, so nothing is missed
 * (the flow has no replay). The collector runs on [Dispatchers.Unconfined], that is inside the primary's
 * own `emit`, before its loop handles anything else: each snapshot is exact, as in a Node handler.
 * A `react` that suspends (to send, say) lets later events queue, and their snapshots then lag.
 */
class EventLog internal constructor(private val primary: Primary) {
    // Appended in place, with a count to wait on: a flood of messages must not cost a copy of the
    // whole log per event (that made the primary's loop, which records inline, quadratic).
    private val entries = ArrayList<Seen>()
    private val size = MutableStateFlow(0)

    /** Every event so far, in order. */
    val all: List<Seen> get() = synchronized(entries) { entries.toList() }

    /** [worker]'s events so far, in order. */
    fun of(worker: Worker): List<Seen> = all.filter { (it.event as? WorkerEvent)?.worker === worker }

    /** The payloads [worker] sent so far, in order. */
    fun messagesOf(worker: Worker): List<Any> = of(worker).mapNotNull { (it.event as? WorkerEvent.Message)?.payload }

    /** Waits for the first recorded event for which [pick] is not null, and returns that. */
    suspend fun <T : Any> await(pick: (Seen) -> T?): T {
        var scanned = 0 // each event is looked at once
        return size.mapNotNull { count ->
            val fresh = synchronized(entries) { entries.subList(scanned, count).toList() }
            scanned = count
            fresh.firstNotNullOfOrNull(pick)
        }.first()
    }

    /** Waits for [worker]'s first event of type [E] that passes [test]. */
    suspend inline fun <reified E : WorkerEvent> await(worker: Worker, crossinline test: (E) -> Boolean = { true }): E =
        await { seen -> (seen.event as? E)?.takeIf { it.worker === worker && test(it) } }

    /** Waits until [worker] has disconnected, exited and left [Primary.workers]; returns its events. */
    suspend fun awaitGone(worker: Worker): List<Seen> {
        await<WorkerEvent.Disconnected>(worker)
        await<WorkerEvent.Exited>(worker)
        primary.workers.first { worker.id !in it }
        return of(worker)
    }

    internal fun record(event: ClusterEvent) {
        val worker = (event as? WorkerEvent)?.worker
        val snapshot = Seen(event, worker?.state?.value, worker?.isConnected() == true, worker?.isDead() == true,
            worker != null && primary.workers.value[worker.id] === worker)
        synchronized(entries) {
            entries += snapshot
            size.value = entries.size
        }
    }
}

/** Runs [block] with an [EventLog] of this primary's events; [react] sees each event after it is recorded. */
suspend fun <T> Primary.recording(react: suspend (ClusterEvent) -> Unit = {}, block: suspend (EventLog) -> T): T = coroutineScope {
    val log = EventLog(this@recording)
    val collector = launch(Dispatchers.Unconfined, start = CoroutineStart.UNDISPATCHED) {
        events.collect { log.record(it); react(it) }
    }
    try {
        block(log)
    } finally {
        collector.cancel()
    }
}

/** The one event of type [E] in these, failing (with the whole list) unless there is exactly one. */
inline fun <reified E : ClusterEvent> List<Seen>.once(): Seen {
    val matches = filter { it.event is E }
    withClue("exactly one ${E::class.simpleName} in $this") { matches shouldHaveSize 1 }
    return matches.single()
}

/** The event of the one [WorkerEvent.Exited] in these. */
fun List<Seen>.exited(): WorkerEvent.Exited = once<WorkerEvent.Exited>().event as WorkerEvent.Exited
