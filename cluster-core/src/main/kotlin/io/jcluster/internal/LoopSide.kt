package io.jcluster.internal

import io.jcluster.ClusterEvent
import io.jcluster.ReadyWhen

/** What the primary loop's collaborators ([WorkerMessages], [WorkerExits]) need of it; every call runs on the loop. */
internal interface LoopSide {
    /** Emits [event] on the cluster's events. */
    suspend fun emit(event: ClusterEvent)

    /** Emits [event] of [record]'s worker, unless it is a standby, which the cluster does not see yet. */
    suspend fun emitFor(record: WorkerRecord, event: ClusterEvent)

    /** Marks [record] ready if [now] is what the settings wait for. */
    suspend fun readyIf(record: WorkerRecord, now: ReadyWhen)

    /** Carries out a supervisor step's actions. */
    suspend fun execute(actions: List<SupervisorAction>)

    /** Queues [input] for the loop. */
    fun enqueue(input: PrimaryInput)
}
