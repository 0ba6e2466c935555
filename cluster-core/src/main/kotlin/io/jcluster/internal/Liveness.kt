package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ExitReason
import io.jcluster.Supervision

private val log = KotlinLogging.logger {}

/**
 * The heartbeat's verdict on one ready worker: hung (no answer within the timeout), unwell (its
 * JVM's [Health], or over a memory limit), or fine.
 */
internal class Liveness(private val memory: MemoryProbe) {
    sealed interface Verdict {
        data object Alive : Verdict
        data object Hung : Verdict

        /** Replace it gracefully with [reason] (its exit's), because of [why]; first ask it for a thread dump if [dump]. */
        data class Unwell(val reason: ExitReason, val why: String, val dump: Boolean) : Verdict
    }

    private var pingSeq = 0L

    fun ping(): ControlMessage.Ping = ControlMessage.Ping(++pingSeq)

    fun check(record: WorkerRecord, supervision: Supervision): Verdict {
        val silent = record.lastPong?.elapsedNow()
        val timeout = supervision.heartbeatTimeout
        if (timeout != null && silent != null && silent > timeout) {
            log.error { "worker ${record.worker.id} (pid ${record.process?.pid}) has not answered a heartbeat for $silent; its thread dump follows in its output, then it is killed" }
            return Verdict.Hung
        }
        // A thread dump shows what the deadlocked threads wait for, or what allocates; a memory limit is the user's, not a fault.
        record.health.verdict(supervision)?.let { return Verdict.Unwell(it.reason, it.why, dump = true) }
        return overMemory(record, supervision)?.let { Verdict.Unwell(ExitReason.MEMORY, "it uses too much memory ($it)", dump = false) } ?: Verdict.Alive
    }

    private fun overMemory(record: WorkerRecord, supervision: Supervision): String? {
        supervision.maxHeap?.let { limit -> if (record.liveHeap > limit) return "live heap ${record.liveHeap} > maxHeap $limit bytes" }
        val limit = supervision.maxRss ?: return null
        val rss = record.process?.pid?.let { memory.residentBytes(it) } ?: return null
        return if (rss > limit) "RSS $rss > maxRss $limit bytes" else null
    }
}
