package io.jcluster.internal

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
