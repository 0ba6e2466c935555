package io.jcluster

import kotlin.time.Duration
import kotlin.time.toJavaDuration

/** What a successful [Primary.reload] did: it replaced [replaced] workers in [took]. */
public data class ReloadResult(val replaced: Int, val took: Duration) {
    /**
     * [took] as a `java.time.Duration`: `getTook()` from Java, which cannot reach [took] itself (a
     * Kotlin value class).
     */
    @get:JvmName("getTook")
    public val javaTook: java.time.Duration get() = took.toJavaDuration()
}

/**
 * A reload stopped early: a replacement did not become ready (it died, or missed its boot timeout),
 * or the cluster is stopping or has failed. The workers not yet replaced keep serving.
 */
public class ReloadFailedException(message: String) : IllegalStateException(message)
