package io.jcluster.internal

import java.security.MessageDigest
import java.security.SecureRandom
import java.util.HexFormat

/**
 * Who may join as a worker: each launched worker gets a one-time token in its environment, and its
 * hello must bring that token, from the pid the primary launched, while the worker is still wanted.
 */
internal object Admission {
    private val random = SecureRandom()

    /** A fresh token for a worker about to be launched. */
    fun newToken(): String = HexFormat.of().formatHex(ByteArray(24).also { random.nextBytes(it) })

    /** Why the [hello] must be refused for [record] (the record of its claimed id, if any), or null to admit it. */
    fun refusal(record: WorkerRecord?, hello: PrimaryInput.Hello): String? {
        val expectedPid = record?.process?.pid
        return when {
            record == null || record.link != null || !sameToken(record.token, hello.token) -> "unknown worker or bad token"
            expectedPid != null && expectedPid != hello.peerPid -> "pid ${hello.peerPid} is not worker ${hello.workerId}'s pid $expectedPid"
            record.exit != null || record.channelClosed -> "worker ${hello.workerId} is ${record.state}"
            else -> null
        }
    }

    private fun sameToken(expected: String, actual: String) = MessageDigest.isEqual(expected.toByteArray(), actual.toByteArray())
}
