package io.jcluster

import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.toKotlinDuration

/**
 * Sticky sessions (recluster's `sticky-listen`): under [SharingStrategy.ROUND_ROBIN] the primary sends
 * every connection with the same key to the same worker while that worker lives, instead of to the
 * next one in turn. The key is the client's IP address, or, with [key], what the client sends first
 * (a cookie, a session id), which the primary reads without consuming it (`MSG_PEEK`), so that the
 * worker's server still reads the request whole.
 *
 * Each key belongs to the worker that ranks highest for it among those listening (rendezvous hashing
 * over the workers' slots, or their ids for workers of `fork()`): a worker that leaves takes only its
 * own keys with it, spread over the others, and its replacement in the same slot gets them back. A
 * worker the round-robin skips (disconnecting, heartbeat late, too many hand-offs unanswered) lends
 * its keys to the next in rank meanwhile.
 *
 * Turn it on for the cluster ([ClusterSettings.sticky]) or per listener ([ListenOptions.sticky]);
 * docs/sticky-sessions.md says more.
 *
 * @property key reads the key in the first bytes of a connection; null: the client's IP address.
 * @property peekBytes at most this many first bytes are looked at.
 * @property peekTimeout how long the primary waits for those bytes; past it the connection goes by the client's IP address.
 */
public data class StickySessions(
    val key: StickyKey? = null,
    val peekBytes: Int = DEFAULT_PEEK_BYTES,
    val peekTimeout: Duration = DEFAULT_PEEK_TIMEOUT,
) {
    init {
        require(peekBytes in 1..MAX_PEEK_BYTES) { "peekBytes must be 1..$MAX_PEEK_BYTES, was $peekBytes" }
        require(peekTimeout.isPositive()) { "peekTimeout must be positive, was $peekTimeout" }
    }

    public companion object {
        /** The default of [peekBytes]: room for an HTTP request's line and usual headers. */
        public const val DEFAULT_PEEK_BYTES: Int = 2048

        /** The most [peekBytes] may be. */
        public const val MAX_PEEK_BYTES: Int = 65536

        /** The default of [peekTimeout]. */
        public val DEFAULT_PEEK_TIMEOUT: Duration = 500.milliseconds

        /** By the client's IP address. */
        @JvmField
        public val CLIENT_IP: StickySessions = StickySessions()

        /** By the key [key] finds in the first bytes (Java; Kotlin uses the constructor). */
        @JvmStatic
        @JvmOverloads
        public fun firstBytes(key: StickyKey, peekBytes: Int = DEFAULT_PEEK_BYTES, peekTimeout: java.time.Duration = java.time.Duration.ofMillis(DEFAULT_PEEK_MILLIS)): StickySessions =
            StickySessions(key, peekBytes, peekTimeout.toKotlinDuration())

        private const val DEFAULT_PEEK_MILLIS = 500L
    }
}
