package io.jcluster.internal

import io.jcluster.ReloadFailedException
import io.jcluster.ReloadResult
import kotlinx.coroutines.CompletableDeferred
import kotlin.time.ComparableTimeMark

/** One reload: slots still to replace, replacements booting, replaced workers still draining. */
internal class ReloadRun(
    val waiters: List<CompletableDeferred<ReloadResult>>,
    val started: ComparableTimeMark,
    val queue: ArrayDeque<Int>,
) {
    val replacing = HashSet<Int>()
    val retiring = HashSet<Int>()

    /** The workers really replaced: a slot emptied or retired meanwhile does not count. */
    var replaced = 0
    var failure: String? = null

    /** Reloads asked for while this one ran: one more reload runs after it, for all of them. */
    val next = ArrayList<CompletableDeferred<ReloadResult>>()

    /** Nothing left to start, boot or drain (or it failed, and what it started has settled). */
    val done: Boolean get() = (queue.isEmpty() || failure != null) && replacing.isEmpty() && retiring.isEmpty()

    fun forget(slot: Int) {
        queue.remove(slot)
        replacing.remove(slot)
    }

    fun result(): Result<ReloadResult> = failure?.let { Result.failure(ReloadFailedException("reload failed: $it")) }
        ?: Result.success(ReloadResult(replaced, started.elapsedNow()))
}
