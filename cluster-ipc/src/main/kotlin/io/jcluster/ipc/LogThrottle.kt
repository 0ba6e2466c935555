package io.jcluster.ipc

import io.github.oshai.kotlinlogging.KLogger

/**
 * One warning per [intervalMillis] at most, for events a flood of peers can repeat thousands of
 * times a second (a refused connection); the next line counts those left out. Public for jcluster's
 * own socket servers (the primary's worker socket, cluster-ops' control socket), like [AcceptBackoff].
 */
public class LogThrottle @JvmOverloads constructor(private val log: KLogger, private val intervalMillis: Long = 10_000) {
    private var last = 0L
    private var skipped = 0L

    /** Logs [message] if none was logged in the last interval; otherwise counts it. */
    @Synchronized
    public fun warn(message: () -> String) {
        val now = System.nanoTime()
        if (last != 0L && now - last < intervalMillis * 1_000_000) {
            skipped++
            return
        }
        val left = skipped
        last = now
        skipped = 0
        log.warn { if (left == 0L) message() else "${message()} ($left more like it not logged)" }
    }
}
