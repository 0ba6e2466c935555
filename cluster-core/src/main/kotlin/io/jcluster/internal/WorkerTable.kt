package io.jcluster.internal

import io.jcluster.Worker
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import java.util.concurrent.ConcurrentHashMap

/**
 * The primary loop's worker table: the record of every worker it launched (standbys too) until the
 * worker is gone, the [workers] the cluster shows (standbys join only once promoted), the live
 * processes for a last-resort kill, and who waits for the table to empty. The loop alone changes it.
 */
internal class WorkerTable {
    private val records = HashMap<Int, WorkerRecord>()
    private val processes = ConcurrentHashMap<Int, ProcessHandle>() // read by close(), off the loop
    private val emptied = ArrayList<CompletableDeferred<Unit>>()
    private val _workers = MutableStateFlow<Map<Int, Worker>>(emptyMap())

    /** The workers the cluster shows, by id. */
    val workers: StateFlow<Map<Int, Worker>> = _workers.asStateFlow()

    operator fun get(id: Int): WorkerRecord? = records[id]

    fun isEmpty(): Boolean = records.isEmpty()

    /** A copy of every record, to act on while the table changes. */
    fun all(): List<WorkerRecord> = records.values.toList()

    fun add(record: WorkerRecord) {
        records[record.worker.id] = record
    }

    /** [record]'s worker is shown in [workers] from now on. */
    fun show(record: WorkerRecord) {
        _workers.value += record.worker.id to record.worker
    }

    /** The record [link] belongs to; null for a link the loop refused or replaced. */
    fun current(id: Int, link: WorkerLink): WorkerRecord? = records[id]?.takeIf { it.link === link }

    fun processStarted(id: Int, handle: ProcessHandle) {
        processes[id] = handle
    }

    fun processEnded(id: Int) {
        processes.remove(id)
    }

    /** The live processes, for a last-resort kill when the primary goes down. */
    fun liveProcesses(): List<ProcessHandle> = processes.values.filter { it.isAlive }

    /** Completes [done] once the table is empty (at once if it is). */
    fun whenEmpty(done: CompletableDeferred<Unit>) {
        if (records.isEmpty()) done.complete(Unit) else emptied += done
    }

    /** Drops [record] if it is gone (exited, channel closed); returns whether that emptied the table. */
    fun removeIfGone(record: WorkerRecord): Boolean {
        if (!record.isGone) return false
        records.remove(record.worker.id)
        _workers.value -= record.worker.id
        if (records.isNotEmpty()) return false
        emptied.forEach { it.complete(Unit) }
        emptied.clear()
        return true
    }
}
