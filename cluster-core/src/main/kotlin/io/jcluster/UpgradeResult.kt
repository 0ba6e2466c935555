package io.jcluster

import kotlin.time.Duration
import kotlin.time.toJavaDuration

/**
 * What a successful [ManagedCluster.upgrade] did: the primary with pid [from] started the one with pid
 * [to], which had a ready worker in every slot [took] later. The old primary's workers then drain
 * and it exits; the new one serves on the same sockets.
 */
public data class UpgradeResult(val from: Long, val to: Long, val took: Duration) {
    /** [took] as a `java.time.Duration`, for Java, which cannot reach [took] itself (a Kotlin value class). */
    @get:JvmName("getTook")
    public val javaTook: java.time.Duration get() = took.toJavaDuration()
}

/**
 * An upgrade did not happen: the new primary could not be started, exited, or had no ready worker in
 * every slot within the timeout (it was then stopped), or an upgrade is under way already. The old
 * primary and its workers serve on, untouched.
 */
public class UpgradeFailedException(message: String) : IllegalStateException(message)
