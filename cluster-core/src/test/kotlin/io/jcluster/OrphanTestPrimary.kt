package io.jcluster

import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlin.time.Duration.Companion.seconds

/**
 * The primary of [NoOrphansSpec], in a JVM of its own. It forks two [TestWorker]s that greet it and
 * then idle, prints `PIDS <pid> <pid>` once both have connected (a worker is online before it has:
 * its greeting says it has), waits for a line on stdin (the spec checks the workers run
 * first), then does what its one argument says: `exit` returns from main, `throw` throws from main,
 * `wait` blocks until the spec signals it (or the spec's JVM, its parent, is gone). It never
 * closes its [Primary]: whether the workers outlive it anyway is what the spec checks.
 */
object OrphanTestPrimary {
    const val PIDS = "PIDS "

    @JvmStatic
    fun main(args: Array<String>) {
        val mode = args.single()
        val primary = Primary(testSettings("greet"))
        val workers = runBlocking {
            val connected = async(start = CoroutineStart.UNDISPATCHED) {
                primary.events.filterIsInstance<WorkerEvent.Message>().take(2).toList()
            }
            val workers = List(2) { primary.fork() }
            withTimeout(30.seconds) { connected.await() }
            workers
        }
        println(PIDS + workers.joinToString(" ") { it.pid.toString() })
        System.out.flush()
        readlnOrNull()
        when (mode) {
            "exit" -> return
            "throw" -> throw IllegalStateException("the orphan test primary's main throws, as asked")
            // Not on stdin: Process.destroy() closes it, and main would return before TERM is handled.
            "wait" -> ProcessHandle.current().parent().orElseThrow().onExit().join()
            else -> error("unknown mode $mode: exit, throw or wait")
        }
    }
}
