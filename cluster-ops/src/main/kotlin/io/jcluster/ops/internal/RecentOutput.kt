package io.jcluster.ops.internal

import io.jcluster.OutputLine
import io.jcluster.WorkerOutput
import java.util.concurrent.TimeUnit
import java.util.concurrent.locks.ReentrantLock
import kotlin.concurrent.withLock

/**
 * The control plugin's memory of the workers' output, for `jcluster logs`: the last [perWorker] lines of
 * each worker (each cut to [MAX_CHARS]), kept for the [keptExited] workers that exited last as well,
 * so that a crash's last words can be read. Every line gets a sequence number: a follower asks for
 * the lines after the last one it had ([after]). Bounded whatever the workers print.
 */
internal class RecentOutput(private val perWorker: Int = 1000, private val keptExited: Int = 16) : WorkerOutput {
    private class Entry(val seq: Long, val line: OutputLine)

    private val lock = ReentrantLock()
    private val added = lock.newCondition()
    private val byWorker = LinkedHashMap<Int, ArrayDeque<Entry>>()
    private val exited = ArrayDeque<Int>()
    private var next = 0L

    override fun line(workerId: Int, stream: WorkerOutput.Stream, text: String) = lock.withLock {
        val lines = byWorker.getOrPut(workerId) { ArrayDeque() }
        if (lines.size >= perWorker) lines.removeFirst()
        lines.addLast(Entry(next++, OutputLine(workerId, text.take(MAX_CHARS), stream == WorkerOutput.Stream.STDERR)))
        added.signalAll()
    }

    /** [workerId] exited: its lines stay until [keptExited] workers exited after it. */
    fun exited(workerId: Int): Unit = lock.withLock {
        exited.remove(workerId)
        exited.addLast(workerId)
        while (exited.size > keptExited) byWorker.remove(exited.removeFirst())
    }

    /** The workers whose lines are kept. */
    fun workers(): Set<Int> = lock.withLock { byWorker.keys.toSet() }

    /** The last [count] lines of [worker] (of every worker if null), oldest first, and the cursor after them. */
    fun tail(worker: Int?, count: Int): Pair<List<OutputLine>, Long> = lock.withLock {
        entries(worker, -1).takeLast(count).map { it.line } to next
    }

    /** The lines of [worker] (or all) after [cursor], waiting up to [millis] for one; and the new cursor. */
    fun after(worker: Int?, cursor: Long, millis: Long): Pair<List<OutputLine>, Long> = lock.withLock {
        var left = TimeUnit.MILLISECONDS.toNanos(millis)
        var lines = entries(worker, cursor)
        while (lines.isEmpty() && left > 0) {
            left = added.awaitNanos(left)
            lines = entries(worker, cursor)
        }
        lines.map { it.line } to (lines.lastOrNull()?.seq?.plus(1) ?: cursor)
    }

    /** [worker]'s entries (or everyone's, in the order printed) numbered [from] or later. */
    private fun entries(worker: Int?, from: Long): List<Entry> {
        val sources = if (worker == null) byWorker.values else listOfNotNull(byWorker[worker])
        val lines = sources.flatMap { deque -> deque.filter { it.seq >= from } }
        return if (worker == null) lines.sortedBy { it.seq } else lines
    }

    private companion object {
        /** A longer line is cut: the buffer's bound must hold whatever a worker prints. */
        const val MAX_CHARS = 8192
    }
}
