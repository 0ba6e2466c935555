package io.jcluster.internal

import io.jcluster.Supervision
import kotlin.time.Duration

/**
 * When a worker's heartbeat is late: it has missed the answer to a ping (silent for two intervals,
 * or half the timeout if that is shorter), but is not hung yet ([Supervision.heartbeatTimeout]).
 * Round-robin hands a late worker no connection until it answers again: a stopped (`SIGSTOP`) or
 * wedged JVM would only hoard them until the heartbeat kills it. Without a heartbeat, none is late.
 */
internal object Lateness {
    /** Whether a worker silent for [silent] (null: not ready, so never pinged) is late under [supervision]. */
    fun isLate(silent: Duration?, supervision: Supervision): Boolean {
        val timeout = supervision.heartbeatTimeout ?: return false
        if (silent == null) return false
        return silent > minOf(supervision.heartbeatInterval * 2, timeout / 2)
    }
}
