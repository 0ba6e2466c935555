package io.jcluster.internal

import io.jcluster.ClusterState

/** How the wanted number of workers changes: the one input that moves the slots' count. */
internal sealed interface Resize {
    /** The count after this change, from [current]. */
    fun target(current: Int): Int

    /** [count] more, or (negative) fewer, leaving at least [floor] (`TTOU` keeps the last one). */
    data class By(val count: Int, val floor: Int = 0) : Resize {
        override fun target(current: Int): Int = current + count

        override fun toString(): String = "spawn($count)"
    }

    /** Exactly [workers] (`jcluster scale N`). */
    data class To(val workers: Int) : Resize {
        override fun target(current: Int): Int = workers

        override fun toString(): String = "scale $workers"
    }
}

/** Why this change from [from] to [to] workers is refused in state [now] with at most [max] workers, or null if it is not. */
internal fun Resize.refusal(from: Int, to: Int, now: ClusterState, max: Int): String? {
    val floor = (this as? Resize.By)?.floor ?: 0
    return when {
        now is ClusterState.Failed -> "cannot scale: the cluster has failed (${now.reason})"
        to < floor -> (if (floor == 1) "the last worker stays" else "the last $floor workers stay") + " (to stop, send TERM)"
        to < 0 -> "$this would leave $to workers; at most $from can go"
        to > max -> "$to workers refused: at most maxWorkers = $max (Supervision.maxWorkers); the cluster keeps $from"
        else -> null
    }
}
