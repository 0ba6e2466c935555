package io.jcluster

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import kotlinx.coroutines.withTimeout
import java.io.ByteArrayOutputStream
import java.io.PrintStream
import java.nio.file.Files
import kotlin.io.path.listDirectoryEntries
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/**
 * JVM-aware supervision with real worker JVMs of 32 MB heaps that really fall ill ([FallIll]): out
 * of memory, deadlocked, thrashing in GC. Each worker 1 falls ill once ready; the spec waits for its
 * `Exited` (its reason) and for worker 2 to take its slot.
 */
class JvmHealthSpec : FunSpec({
    timeout = 120_000

    fun settings(supervision: Supervision) =
        testSettings("supervised").copy(jvmArgs = listOf("-Xmx32m"), supervision = supervision)

    fun quick(window: kotlin.time.Duration = 2.seconds) =
        Supervision(heartbeatInterval = 200.milliseconds, heartbeatTimeout = null, healthWindow = window)

    /** Makes worker 1 fall ill as [kind] says once it is ready. */
    fun illOnce(kind: String): suspend (ClusterEvent) -> Unit = { if (it is WorkerEvent.Ready && it.worker.id == 1) it.worker.send(FallIll(kind)) }

    /** Worker 1's exit, once worker 2 is ready in its slot. */
    suspend fun EventLog.replaced(): WorkerEvent.Exited = withTimeout(60.seconds) {
        val exited = await { (it.event as? WorkerEvent.Exited)?.takeIf { e -> e.worker.id == 1 } }
        await { (it.event as? WorkerEvent.Ready)?.takeIf { e -> e.worker.id == 2 } }.worker.slot shouldBe 0
        exited
    }

    test("a worker out of memory exits at once (code 3, OUT_OF_MEMORY), leaves a heap dump, and is replaced") {
        val dumps = Files.createTempDirectory("jcluster-heapdumps")
        try {
            withCluster(settings(Supervision(heartbeatTimeout = null, heapDumpDirectory = dumps)), react = illOnce("oom")) { primary, log ->
                primary.spawn(1)
                val exited = log.replaced()
                exited.reason shouldBe ExitReason.OUT_OF_MEMORY
                exited.code shouldBe 3
                exited.stderr shouldContain "Terminating due to java.lang.OutOfMemoryError: Java heap space"
                dumps.listDirectoryEntries("*.hprof") shouldHaveSize 1
            }
        } finally {
            dumps.toFile().deleteRecursively()
        }
    }

    test("a deadlocked worker dumps its threads and is replaced gracefully (DEADLOCK)") {
        val output = capturingStdout {
            withCluster(settings(quick()), react = illOnce("deadlock")) { primary, log ->
                primary.spawn(1)
                val exited = log.replaced()
                exited.reason shouldBe ExitReason.DEADLOCK
                exited.exitedAfterDisconnect shouldBe true
            }
        }
        output shouldContain "[worker 1] Found one Java-level deadlock"
    }

    test("a worker that spends most of its time in GC is replaced gracefully (GC_OVERHEAD)") {
        val output = capturingStdout {
            withCluster(settings(quick().copy(maxGcShare = 0.5)), react = illOnce("thrash")) { primary, log ->
                primary.spawn(1)
                log.replaced().reason shouldBe ExitReason.GC_OVERHEAD
            }
        }
        output shouldContain "[worker 1] Full thread dump"
    }

    test("a worker whose heap stays near full after GC is replaced gracefully (HEAP_EXHAUSTED)") {
        withCluster(settings(quick().copy(maxGcShare = null, maxLiveHeapShare = 0.7)), react = illOnce("thrash")) { primary, log ->
            primary.spawn(1)
            log.replaced().reason shouldBe ExitReason.HEAP_EXHAUSTED
        }
    }
})

/** Runs [block] with the primary's stdout (where its workers' stdout goes, thread dumps too) copied to a buffer; returns the buffer's text. */
private suspend fun capturingStdout(block: suspend () -> Unit): String {
    val copy = ByteArrayOutputStream()
    val stdout = System.out
    System.setOut(PrintStream(TeeStream(stdout, copy), true))
    try {
        block()
    } finally {
        System.setOut(stdout)
    }
    return synchronized(copy) { copy.toString() }
}
