package io.jcluster

import io.jcluster.internal.Resize
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.ints.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.async
import kotlinx.coroutines.test.runCurrent
import kotlinx.coroutines.test.runTest
import kotlin.random.Random
import kotlin.time.Duration.Companion.seconds

/**
 * Scaling converges: whatever sequence of scale changes, deaths and boots the loop sees, it ends with
 * as many ready workers as the slots say, and every other process asked to go. Fakes, virtual time.
 */
@OptIn(ExperimentalCoroutinesApi::class)
class ScaleSpec : FunSpec({
    val relaxed = Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, maxRestarts = 10_000, maxBootFailures = 10_000)

    /** The processes still running that nobody asked to go: what serves once the cluster settles. */
    fun LoopHarness.serving() = launcher.launched.filter { p ->
        val link = links[p.pid]
        p.pid !in exitedPids && (link == null || !disconnectAsked(p))
    }

    /** Lets every pending boot and respawn happen, until the launched processes stop changing. */
    fun LoopHarness.settle() {
        repeat(20) { up(); after(30.seconds) }
    }

    test("scale 5 then scale 2, back to back while three workers boot, ends with 2 workers") {
        runTest {
            val h = LoopHarness(this, relaxed)
            h.spawn(2)
            h.up()
            h.loop.spawn(3) // scale 5…
            h.loop.spawn(-3) // …then at once scale 2
            runCurrent()
            h.settle()
            h.loop.activeWorkers() shouldHaveSize 2
            h.serving() shouldHaveSize 2
            h.loop.desired.value shouldBe 2
        }
    }

    test("one worker fewer (TTOU) while every worker boots") {
        runTest {
            val h = LoopHarness(this, relaxed)
            h.spawn(2)
            h.spawn(-1)
            h.settle()
            h.loop.activeWorkers() shouldHaveSize 1
            h.serving() shouldHaveSize 1
        }
    }

    test("any sequence of scale changes, crashes and boots converges on the slots' count") {
        for (seed in 1..20) {
            runTest {
                val h = LoopHarness(this, relaxed)
                val random = Random(seed)
                var wanted = 0
                repeat(40) {
                    when (random.nextInt(4)) {
                        0 -> random.nextInt(1, 4).let { h.loop.spawn(it); wanted += it }
                        1 -> if (wanted > 0) random.nextInt(1, wanted + 1).let { h.loop.spawn(-it); wanted -= it }
                        2 -> h.serving().randomOrNull(random)?.let { h.exit(it) }
                        else -> h.up(*h.launcher.launched.filter { random.nextBoolean() }.toTypedArray())
                    }
                    if (random.nextBoolean()) runCurrent()
                }
                h.settle()
                h.loop.activeWorkers() shouldHaveSize wanted
                h.serving() shouldHaveSize wanted
            }
        }
    }

    test("more than maxWorkers is refused with a message, and nothing changes") {
        runTest {
            val h = LoopHarness(this, relaxed.copy(maxWorkers = 4))
            h.spawn(3)
            val refused = async { h.loop.resize(Resize.To(5)) }
            runCurrent()
            refused.await().refused shouldContain "at most maxWorkers = 4"
            refused.await().to shouldBe 3
            h.loop.spawn(2) // fire and forget: refused and logged just the same
            runCurrent()
            h.loop.desired.value shouldBe 3
            h.launcher.launched shouldHaveSize 3
            val fine = async { h.loop.resize(Resize.To(4)) }
            runCurrent()
            fine.await() shouldBe io.jcluster.ScaleResult(3, 4)
        }
    }

    test("the last worker stays when asked to (TTOU), counted by the loop in order with other changes") {
        runTest {
            val h = LoopHarness(this, relaxed)
            h.loop.spawn(2)
            h.loop.spawn(-1)
            val last = async { h.loop.resize(Resize.By(-1, floor = 1)) }
            runCurrent()
            last.await().refused shouldContain "the last worker stays"
            h.loop.desired.value shouldBe 1
        }
    }

    test("at most maxBooting workers boot at once; a scale-down while most wait never forks them") {
        runTest {
            val h = LoopHarness(this, relaxed.copy(maxBooting = 3))
            h.spawn(50)
            h.launcher.launched shouldHaveSize 3
            h.up()
            h.launcher.launched shouldHaveSize 6 // three ready, three more booting
            h.spawn(-48)
            h.settle()
            h.loop.activeWorkers() shouldHaveSize 2
            h.serving() shouldHaveSize 2
            h.launcher.launched.size shouldBeLessThanOrEqual 6
        }
    }
})
