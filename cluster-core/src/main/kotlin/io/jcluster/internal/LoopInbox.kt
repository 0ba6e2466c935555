package io.jcluster.internal

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.selects.select
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger

/**
 * The primary loop's inbox, in two lanes. Workers' user messages (the bulk: the main job sends one
 * per request) go in one; everything else (exits, control calls such as a listen, timers, API calls)
 * in the other, which the loop takes first: a dead worker's slot, a standby's listen or a reload
 * does not wait behind a backlog of messages.
 *
 * The lanes keep the one order across them that a worker's events promise: its [PrimaryInput.LinkDown]
 * (the `Disconnected` event) comes after every message it sent, so it takes the first lane only when
 * none of that worker's messages waits. The first lane does not starve the other: after
 * [FIRST_IN_A_ROW] of its inputs in a row, a waiting message goes next. Safe to call from any
 * thread; one coroutine receives.
 */
internal class LoopInbox {
    private val first = Channel<PrimaryInput>(Channel.UNLIMITED)
    private val messages = Channel<PrimaryInput>(Channel.UNLIMITED)

    /** How many of each link's user messages wait in [messages]. */
    private val waiting = ConcurrentHashMap<WorkerLink, AtomicInteger>()
    private var firstInARow = 0

    /** Queues [input]; never fails, never waits. */
    fun send(input: PrimaryInput) {
        val lane = when (input) {
            is PrimaryInput.UserMessage -> messages.also { waiting.computeIfAbsent(input.link) { AtomicInteger() }.incrementAndGet() }
            is PrimaryInput.LinkDown -> if ((waiting[input.link]?.get() ?: 0) == 0) first else messages
            else -> first
        }
        lane.trySend(input)
    }

    /** The next input: the first lane's, if one waits (and it has not had [FIRST_IN_A_ROW] in a row). */
    suspend fun receive(): PrimaryInput {
        val fromFirst = if (firstInARow < FIRST_IN_A_ROW) first.tryReceive().getOrNull() else null
        val input = fromFirst ?: messages.tryReceive().getOrNull() ?: first.tryReceive().getOrNull()
            ?: select { first.onReceive { it }; messages.onReceive { it } }
        firstInARow = if (fromFirst != null) firstInARow + 1 else 0
        when (input) {
            is PrimaryInput.UserMessage -> waiting[input.link]?.decrementAndGet()
            is PrimaryInput.LinkDown -> waiting.remove(input.link)
            else -> {}
        }
        return input
    }

    private companion object {
        const val FIRST_IN_A_ROW = 64
    }
}
