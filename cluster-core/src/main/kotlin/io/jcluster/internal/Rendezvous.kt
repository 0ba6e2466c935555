package io.jcluster.internal

/**
 * Rendezvous (highest random weight) hashing: a key belongs to the candidate whose score for it is
 * highest. Removing a candidate moves only the keys it had, each to its own next best; adding one
 * takes from each of the others only the keys it now wins. Consistent hashing on a ring does the
 * same with virtual nodes to stay even; for the handful of workers of a cluster, scoring each one
 * per connection (a few multiplications each) is cheaper than keeping a ring, and even without tuning.
 */
internal object Rendezvous {
    /** The hash of a key's bytes (FNV-1a, then mixed). */
    fun hash(bytes: ByteArray): Long {
        var h = FNV_OFFSET
        for (b in bytes) h = (h xor (b.toLong() and BYTE)) * FNV_PRIME
        return mix(h)
    }

    /**
     * What a worker is known by: its slot when it has one, so that a replacement in the same slot (a
     * respawn, a reload) gets the keys of the worker it replaces; else its id (a worker of `fork()`).
     */
    fun seed(slot: Int?, workerId: Int): Long = mix(if (slot != null) SLOT_TAG or slot.toLong() else workerId.toLong())

    /** The candidate that ranks highest for [key] among those [eligible]; null if none is. */
    fun <T> pick(candidates: List<T>, key: Long, seed: (T) -> Long, eligible: (T) -> Boolean): T? {
        var best: T? = null
        var bestScore = Long.MIN_VALUE
        for (candidate in candidates) {
            if (!eligible(candidate)) continue
            val score = mix(key xor seed(candidate))
            if (best == null || score > bestScore) {
                best = candidate
                bestScore = score
            }
        }
        return best
    }

    /** SplitMix64's finalizer: every input bit flips about half of the output bits. */
    private fun mix(value: Long): Long {
        var z = value + GOLDEN
        z = (z xor (z ushr 30)) * MIX1
        z = (z xor (z ushr 27)) * MIX2
        return z xor (z ushr 31)
    }

    private const val FNV_OFFSET = -0x340d631b7bdddcdbL
    private const val FNV_PRIME = 0x100000001b3L
    private const val BYTE = 0xFFL
    private const val SLOT_TAG = 1L shl 40
    private const val GOLDEN = -0x61c8864680b583ebL
    private const val MIX1 = -0x40a7b892e31b1a47L
    private const val MIX2 = -0x6b2fb644ecceee15L
}
