package io.jcluster.ipc

import io.github.oshai.kotlinlogging.KotlinLogging
import java.io.IOException
import java.time.Instant
import java.time.temporal.ChronoUnit

private val log = KotlinLogging.logger {}

/**
 * The pause of an accept loop after a failed accept, as nginx and Go's `net/http` do it: 5 ms,
 * doubling up to 1 s, until an accept works again. An accept fails mostly for want of descriptors
 * (EMFILE, ENFILE) or kernel memory; both pass once other connections close, so a loop must neither
 * die (the listener would be deaf for good) nor spin (a core and gigabytes of log for nothing).
 *
 * Failures are logged at a bounded rate: the first of a run at once, then one line per
 * [logIntervalMillis] counting the run, and one line when accepting works again. Every accept loop
 * of jcluster (primary and worker side) uses one; it is public for those modules, not for apps.
 *
 * @property what the listener, for log lines: "control socket /run/x.sock".
 */
public class AcceptBackoff @JvmOverloads constructor(
    private val what: String,
    private val initialMillis: Long = 5,
    private val maxMillis: Long = 1_000,
    private val logIntervalMillis: Long = 10_000,
) {
    private var failures = 0L
    @Volatile private var since: Instant = Instant.EPOCH
    private var pause = 0L
    private var lastLog = 0L
    @Volatile private var lastFailure = 0L
    @Volatile private var reason: String? = null

    init {
        IoWarmUp.ensure()
        // Loads now what a failure needs, while there are descriptors to load it with (from a class
        // directory, each class is a file to open): the logger, the message, the time stamp.
        log.isWarnEnabled()
        describe(IOException("warm-up"))
        Instant.now().truncatedTo(ChronoUnit.MILLIS).toString()
    }

    /** Counts a failed accept, logs it if it is time to, and returns how long to wait before the next try (ms). */
    @Synchronized
    public fun failed(e: Throwable): Long {
        val now = System.nanoTime()
        if (failures == 0L) since = Instant.now().truncatedTo(ChronoUnit.MILLIS)
        pause = if (failures == 0L) initialMillis else minOf(pause * 2, maxMillis)
        failures++
        lastFailure = now
        reason = describe(e)
        if (failures == 1L || now - lastLog >= logIntervalMillis * 1_000_000) {
            lastLog = now
            log.warn { "accept failed on $what: $reason; retrying in $pause ms ($failures ${if (failures == 1L) "failure" else "failures"} since $since)" }
        }
        return pause
    }

    /** Counts an accept that worked: ends a run of failures, with one line saying so. */
    public fun succeeded() {
        if (reason == null) return
        synchronized(this) {
            if (failures > 0) log.info { "accepting again on $what after $failures failed accepts since $since" }
            failures = 0
            reason = null
        }
    }

    /** [failed], then sleeps for the pause it returns. */
    public fun pause(e: Throwable) {
        Thread.sleep(failed(e))
    }

    /**
     * Why this loop cannot accept now, or null: set by a failure, and cleared by the next accept that
     * works or once no failure came for twice the longest pause (the loop then waits in accept).
     */
    public val problem: String?
        get() {
            val why = reason ?: return null
            val quiet = (System.nanoTime() - lastFailure) / 1_000_000 > 2 * maxMillis
            return if (quiet) null else "accept failed on $what: $why (since $since)"
        }

    private fun describe(e: Throwable): String = e.message?.takeIf { it.isNotBlank() } ?: e.javaClass.simpleName
}
