package io.jcluster

import io.jcluster.internal.ControlMessage
import io.jcluster.internal.PrimaryInput
import io.jcluster.internal.Vitals
import io.jcluster.internal.WorkerCommands
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainAll
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.collections.shouldNotContain
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.test.runTest
import java.nio.file.Path
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/** The JVM-aware supervision in virtual time: the OOM flags and exit, and the checks on heartbeats' vitals. */
class JvmHealthCheckSpec : FunSpec({
    fun supervision(window: kotlin.time.Duration = 10.seconds) =
        Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, heartbeatInterval = 1.seconds, healthWindow = window)

    /** Worker [n]'s answer to a heartbeat, with [vitals]. */
    fun LoopHarness.pong(n: Int, liveHeap: Long = 0, vitals: Vitals) {
        val process = process(n)
        loop.enqueue(PrimaryInput.Control(process.spec.workerId, links.getValue(process.pid), ControlMessage.Pong(1, liveHeap, vitals = vitals)))
    }

    /** Brings the replacement up, lets worker 0 exit as asked, and returns its exit's reason. */
    fun LoopHarness.replacedBecause(): ExitReason {
        disconnectAsked(process(0)) shouldBe false // the replacement first
        up()
        disconnectAsked(process(0)) shouldBe true
        exit(process(0), 0)
        return exits().single().reason
    }

    fun command(supervision: Supervision, vararg jvmArgs: String) = WorkerCommands({ Path.of("/nowhere/control.sock") }, null)
        .spec(1, "t", ClusterSettings(mainClass = "test.Main", jvmArgs = jvmArgs.toList(), supervision = supervision), emptyMap()).command

    test("workers exit on OutOfMemoryError by default, unless jvmArgs or exitOnOutOfMemory say otherwise") {
        command(Supervision()) shouldContainAll listOf("-XX:+ExitOnOutOfMemoryError")
        for (own in listOf("-XX:+CrashOnOutOfMemoryError", "-XX:OnOutOfMemoryError=kill -9 %p", "-XX:-ExitOnOutOfMemoryError")) {
            command(Supervision(), own).filter { it.contains("OutOfMemoryError") } shouldContainExactly listOf(own)
        }
        command(Supervision(exitOnOutOfMemory = false)).none { it.contains("OutOfMemoryError") } shouldBe true
        command(Supervision(heapDumpDirectory = Path.of("/tmp/jcluster-dumps"))) shouldContainAll
            listOf("-XX:+HeapDumpOnOutOfMemoryError", "-XX:HeapDumpPath=/tmp/jcluster-dumps")
        command(Supervision()) shouldNotContain "-XX:+HeapDumpOnOutOfMemoryError"
    }

    test("exit code 3 with HotSpot's out-of-memory line is OUT_OF_MEMORY, a failure; code 3 alone is a CRASH") {
        runTest {
            val h = LoopHarness(this, supervision())
            h.spawn(1)
            h.up()
            h.exit(h.process(0), 3, listOf("Terminating due to java.lang.OutOfMemoryError: Java heap space"))
            h.after(100.milliseconds)
            h.up()
            h.exit(h.process(1), 3)
            h.exits().map { it.reason } shouldContainExactly listOf(ExitReason.OUT_OF_MEMORY, ExitReason.CRASH)
            h.delays().size shouldBe 2 // both back off and spend the budget
        }
    }

    test("a worker with deadlocked threads is asked for a thread dump and replaced gracefully, once") {
        runTest {
            val h = LoopHarness(this, supervision())
            h.spawn(1)
            h.up()
            h.pong(0, vitals = Vitals(deadlockedThreads = 2, uptimeMillis = 1_000))
            h.after(1.seconds)
            h.process(0).signals shouldContainExactly listOf(Signal.QUIT)
            h.launcher.launched.size shouldBe 2
            h.pong(0, vitals = Vitals(deadlockedThreads = 2, uptimeMillis = 2_000))
            h.after(3.seconds) // still deadlocked while its replacement boots: no second dump, no second fork
            h.process(0).signals shouldContainExactly listOf(Signal.QUIT)
            h.launcher.launched.size shouldBe 2
            h.replacedBecause() shouldBe ExitReason.DEADLOCK
        }
    }

    test("replaceDeadlocked = false leaves a deadlocked worker alone") {
        runTest {
            val h = LoopHarness(this, supervision().copy(replaceDeadlocked = false))
            h.spawn(1)
            h.up()
            h.pong(0, vitals = Vitals(deadlockedThreads = 2, uptimeMillis = 1_000))
            h.after(3.seconds)
            h.process(0).signals shouldBe emptyList()
            h.launcher.launched.size shouldBe 1
        }
    }

    test("a worker whose collector takes more than maxGcShare of the window is replaced; a busy one below it is not") {
        runTest {
            val h = LoopHarness(this, supervision().copy(maxGcShare = 0.5))
            h.spawn(1)
            h.up()
            var gc = 0L
            for (second in 1..30L) {
                gc += if (second <= 20) 400 else 1_000 // 40 % for 20 s, then all the time
                h.pong(0, vitals = Vitals(gcMillis = gc, uptimeMillis = second * 1_000))
                h.after(1.seconds)
                // Over the last 10 s the share passes 50 % with the second second at 100 %.
                h.launcher.launched.size shouldBe if (second < 22) 1 else 2
            }
            h.process(0).signals shouldContainExactly listOf(Signal.QUIT)
            h.replacedBecause() shouldBe ExitReason.GC_OVERHEAD
        }
    }

    test("a worker whose live heap stays above maxLiveHeapShare for the whole window is replaced; one dip starts the window again") {
        runTest {
            val h = LoopHarness(this, supervision(window = 5.seconds).copy(maxGcShare = null, maxLiveHeapShare = 0.9))
            h.spawn(1)
            h.up()
            for (second in 1..14L) {
                val live = if (second == 4L) 50L else 95L
                h.pong(0, liveHeap = live, vitals = Vitals(maxHeap = 100, uptimeMillis = second * 1_000))
                h.after(1.seconds)
                // Full at 5..9 s would do, but the dip at 4 s counts until a heartbeat 5 s after it.
                h.launcher.launched.size shouldBe if (second < 10) 1 else 2
            }
            h.replacedBecause() shouldBe ExitReason.HEAP_EXHAUSTED
        }
    }
})
