package io.jcluster.internal

import io.jcluster.ClusterEvent
import io.jcluster.ExitReason
import kotlinx.coroutines.CompletableDeferred
import kotlin.time.Duration

/**
 * What a [Supervisor] step asks of the primary's loop. A step only decides: it changes the slots and
 * returns these, and the loop carries them out in order, once the step is over. So the Supervisor
 * never calls back into the loop, and a step tests without processes (gunicorn's `manage_workers`).
 */
internal sealed interface SupervisorAction {
    /** Launch the process of [record], a new worker of its slot (or a warm standby, with no slot). */
    data class Fork(val record: WorkerRecord) : SupervisorAction

    /** The online standby [record] takes [slot]: it joins the cluster as if just forked into it. */
    data class Promote(val record: WorkerRecord, val slot: Int) : SupervisorAction

    /** Disconnect [record] gracefully (timeout, then kill); its exit will carry [reason]. */
    data class Retire(val record: WorkerRecord, val reason: ExitReason) : SupervisorAction

    /** Ask [record] for a thread dump (`SIGQUIT`; it goes on running). */
    data class Dump(val record: WorkerRecord) : SupervisorAction

    /** Ask [record] for a thread dump, then kill it; its exit will carry [reason]. */
    data class DumpAndKill(val record: WorkerRecord, val reason: ExitReason) : SupervisorAction

    /** Send [message] to [record]'s worker. */
    data class Send(val record: WorkerRecord, val message: ControlMessage.ToWorker) : SupervisorAction

    /** Enqueue [input] after [delay]. Inputs carry a token, so that one no longer wanted is ignored when it comes. */
    data class After(val delay: Duration, val input: PrimaryInput) : SupervisorAction

    /** Emit [event] on the cluster's events. */
    data class Emit(val event: ClusterEvent) : SupervisorAction

    /** The wanted number of workers changed from [from] to [to]: the primary's plugins hear of it. */
    data class Resized(val from: Int, val to: Int) : SupervisorAction

    /** Answer [deferred] with [result] (a caller waits for a reload or a resize). */
    data class Answer<T>(val deferred: CompletableDeferred<T>, val result: Result<T>) : SupervisorAction {
        fun settle() {
            result.fold(deferred::complete, deferred::completeExceptionally)
        }
    }
}

/** The actions of one step, in the order they are decided. */
internal class Plan {
    val actions: MutableList<SupervisorAction> = ArrayList()

    operator fun plusAssign(action: SupervisorAction) {
        actions += action
    }
}
