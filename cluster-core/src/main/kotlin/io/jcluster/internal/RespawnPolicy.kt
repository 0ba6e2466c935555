package io.jcluster.internal

import io.jcluster.Supervision
import kotlin.math.pow
import kotlin.time.ComparableTimeMark
import kotlin.time.Duration

/** The wait before respawning a slot whose workers died [deathsInARow] times in a row (1 for the first). */
internal fun respawnDelay(supervision: Supervision, deathsInARow: Int): Duration {
    val grown = supervision.respawnDelay * supervision.backoffFactor.pow(deathsInARow - 1)
    return if (grown.isInfinite() || grown > supervision.maxRespawnDelay) supervision.maxRespawnDelay else grown
}

/**
 * The restart budget: at most `maxRestarts` unexpected deaths within `restartWindow` (Erlang's
 * intensity and period). It remembers only the deaths inside the window.
 */
internal class RestartBudget {
    private val deaths = ArrayDeque<ComparableTimeMark>()

    /** The deaths within the window as of the last [spend]. */
    val spent: Int get() = deaths.size

    /** Records a death at [now]; false if that is more than [supervision] allows. */
    fun spend(now: ComparableTimeMark, supervision: Supervision): Boolean {
        deaths.addLast(now)
        while (now - deaths.first() >= supervision.restartWindow) deaths.removeFirst()
        return deaths.size <= supervision.maxRestarts
    }
}
