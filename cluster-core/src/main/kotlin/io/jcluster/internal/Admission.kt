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

    /**
     * Why a process must be refused as worker [workerId] ([record], if the primary has one), which it
     * claims with [token] from pid [peerPid] (in its hello or its announcement), or null to admit it.
     */
    fun refusal(record: WorkerRecord?, workerId: Int, token: String, peerPid: Long): String? {
        val expectedPid = record?.process?.pid
        return when {
            record == null || record.link != null || !sameToken(record.token, token) -> "unknown worker or bad token"
            expectedPid != null && expectedPid != peerPid -> "pid $peerPid is not worker $workerId's pid $expectedPid"
            record.exit != null || record.channelClosed -> "worker $workerId is ${record.state}"
            else -> null
        }
    }

    private fun sameToken(expected: String, actual: String) = MessageDigest.isEqual(expected.toByteArray(), actual.toByteArray())
}
