package io.jcluster

import kotlinx.serialization.Serializable
import java.util.concurrent.CountDownLatch
import kotlin.concurrent.thread

/**
 * Primary → `supervised` worker: fall ill as [kind] says, in threads of its own, as a request
 * handler would, while the worker's own machinery (its control channel, its pool) carries on:
 * `oom` fills the heap until an `OutOfMemoryError`; `deadlock` locks two monitors in opposite
 * orders from two threads; `thrash` keeps 80 % of the heap live (with the worker's own) and replaces it piece by piece, so
 * that the collector runs most of the time and the heap stays near full after each collection.
 */
@Serializable
data class FallIll(val kind: String)

/** What [FallIll] does in the worker. */
object Ailments {
    private const val CHUNK = 64 * 1024

    fun start(kind: String) {
        when (kind) {
            "oom" -> thread(name = "handler-oom") { oom() }
            "deadlock" -> deadlock()
            "thrash" -> thread(name = "handler-thrash", isDaemon = true) { thrash(0.8) }
            else -> error("unknown ailment $kind")
        }
    }

    private fun oom() {
        val hoard = ArrayList<ByteArray>()
        while (true) hoard += ByteArray(CHUNK)
    }

    private fun deadlock() {
        val first = Any()
        val second = Any()
        val bothHeld = CountDownLatch(2)
        fun lockBoth(a: Any, b: Any) = synchronized(a) {
            bothHeld.countDown()
            bothHeld.await()
            synchronized(b) { }
        }
        thread(name = "handler-a", isDaemon = true) { lockBoth(first, second) }
        thread(name = "handler-b", isDaemon = true) { lockBoth(second, first) }
    }

    /** Keeps [share] of the maximum heap live (the worker's own data counted), replacing it a chunk at a time. */
    private fun thrash(share: Double) {
        val runtime = Runtime.getRuntime()
        System.gc()
        val own = runtime.totalMemory() - runtime.freeMemory()
        val n = ((runtime.maxMemory() * share - own) / CHUNK).toInt()
        val ring = arrayOfNulls<ByteArray>(n)
        var i = 0L
        while (true) ring[(i++ % n).toInt()] = ByteArray(CHUNK)
    }
}
