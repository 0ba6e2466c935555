package io.jcluster.ipc

import io.kotest.assertions.withClue
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.delay
import java.io.File
import java.nio.file.Files

/** The number of open file descriptors of this process. */
fun openFdCount(): Int = File("/proc/self/fd").list()!!.size

/** What this process's descriptors point at, for a failure's clue. */
fun openFdTargets(): String =
    File("/proc/self/fd").listFiles()!!.joinToString { runCatching { Files.readSymbolicLink(it.toPath()).toString() }.getOrDefault("?") }

/**
 * The value of [count] once it stayed the same for 300 ms (5 s at most). A JVM opens and closes a
 * file of its own now and then, and a closed connection's reader thread ends a little later, so a
 * single reading taken as "before" may hold a descriptor that is about to go.
 */
suspend fun settledFdCount(count: suspend () -> Int = ::openFdCount): Int {
    var value = count()
    var stableSince = System.nanoTime()
    val deadline = stableSince + 5_000_000_000
    while (System.nanoTime() - stableSince < 300_000_000 && System.nanoTime() < deadline) {
        delay(20)
        val now = count()
        if (now != value) stableSince = System.nanoTime().also { value = now }
    }
    return value
}

/** Waits (5 s at most) for [count] to come back to [expected], and fails with [clue] if it does not. */
suspend fun awaitFdCount(expected: Int, clue: suspend () -> String = ::openFdTargets, count: suspend () -> Int = ::openFdCount) {
    val deadline = System.nanoTime() + 5_000_000_000
    while (count() != expected && System.nanoTime() < deadline) delay(10)
    val last = count()
    if (last != expected) withClue(clue()) { last shouldBe expected } // the clue only for a failure: the peer's costs a call
}
