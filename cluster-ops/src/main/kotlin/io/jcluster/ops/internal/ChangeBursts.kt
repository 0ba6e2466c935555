package io.jcluster.ops.internal

import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.channels.ReceiveChannel
import kotlinx.coroutines.selects.onTimeout
import kotlinx.coroutines.selects.select
import java.nio.file.Path
import kotlin.time.Duration

/** One burst of changes: the first changed path, and how many distinct paths changed. */
internal data class ChangeBurst(val first: Path, val paths: Int)

/**
 * Takes [changes] in bursts, until the channel is closed: a burst ends once no change came for
 * [quietPeriod], and [act] runs once for it. One [act] at a time: changes that come while it runs wait
 * in the channel, and make one burst more after it (however many they are).
 */
@OptIn(ExperimentalCoroutinesApi::class)
internal suspend fun forEachBurst(changes: ReceiveChannel<Path>, quietPeriod: Duration, act: suspend (ChangeBurst) -> Unit) {
    for (first in changes) {
        val seen = hashSetOf(first)
        var quiet = false
        while (!quiet) {
            // select, not withTimeoutOrNull { receive() }: a timeout there may cancel a receive that already took a change.
            select {
                changes.onReceiveCatching { result ->
                    val path = result.getOrNull()
                    if (path == null) quiet = true else seen.add(path) // null: closed
                }
                onTimeout(quietPeriod) { quiet = true }
            }
        }
        act(ChangeBurst(first, seen.size))
    }
}
