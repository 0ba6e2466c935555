package io.jcluster

import io.jcluster.internal.ControlMessage
import io.jcluster.internal.MemoryProbe
import io.jcluster.internal.PrimaryInput
import io.jcluster.internal.PrimaryLoop
import io.jcluster.internal.RecycleReason
import io.jcluster.internal.WorkerCommands
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.longs.shouldBeInRange
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.async
import kotlinx.coroutines.launch
import kotlinx.coroutines.test.TestScope
import kotlinx.coroutines.test.advanceTimeBy
import kotlinx.coroutines.test.runCurrent
import kotlinx.coroutines.test.runTest
import kotlinx.coroutines.test.testTimeSource
import java.nio.file.Files
import java.nio.file.Path
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/** Every supervision policy, against a fake launcher and fake links, in virtual time. */
@OptIn(ExperimentalCoroutinesApi::class)
class SupervisorSpec : FunSpec({
    test("a crash is respawned after a delay that doubles each time, up to the cap") {
        runTest {
            val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, maxRespawnDelay = 1.seconds, maxRestarts = 100))
            h.spawn(1)
            repeat(6) { n ->
                h.up()
                h.exit(h.process(n))
                h.launcher.launched.size shouldBe n + 1 // not before the delay
                h.after(h.delays().last())
            }
            h.delays() shouldContainExactly listOf(100, 200, 400, 800, 1000, 1000).map { it.milliseconds }
            h.launcher.launched.size shouldBe 7
            h.launcher.launched.map { h.slotOf(it) }.toSet() shouldBe setOf(0)
        }
    }

    test("a worker that served for healthyUptime is replaced at once and resets the backoff of its slot; booting time does not count") {
        runTest {
            val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, healthyUptime = 10.seconds))
            h.spawn(1)
            h.up(); h.exit(h.process(0)); h.after(100.milliseconds)
            h.up(); h.exit(h.process(1)); h.after(200.milliseconds)
            h.up(); h.after(10.seconds); h.exit(h.process(2))
            h.launcher.launched.size shouldBe 4 // at once: no time passed since the healthy worker died
            h.after(20.seconds); h.exit(h.process(3)) // 20 s of booting, never ready: not healthy
            h.delays() shouldContainExactly listOf(100, 200, 0, 100).map { it.milliseconds }
            h.events.filterIsInstance<RespawnScheduled>().map { it.restarts } shouldContainExactly listOf(1, 2, 3, 4) // each spends the budget
        }
    }

    test("a serving worker that dies gives its slot to the standby at once") {
        runTest {
            val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, standby = 1))
            h.spawn(1)
            h.up() // the slot's worker, then the standby it lets start
            h.up()
            h.after(1.seconds) // healthyUptime
            val standby = h.process(1)
            h.exit(h.process(0))
            h.loop.workers.value.getValue(standby.spec.workerId).slot shouldBe 0
            h.links.getValue(standby.pid).control shouldContain ControlMessage.Promote(0)
            h.loop.activeWorkers().map { it.id } shouldContainExactly listOf(standby.spec.workerId)
        }
    }

    test("past the restart budget the cluster fails, says why, and respawns nothing more") {
        runTest {
            val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, maxRestarts = 3, restartWindow = 10.seconds, backoffFactor = 1.0))
            h.spawn(1)
            repeat(3) { n -> h.up(); h.exit(h.process(n)); h.after(100.milliseconds) }
            h.loop.state.value shouldBe ClusterState.Running
            h.up(); h.exit(h.process(3), stderr = listOf("java.lang.IllegalStateException: boom"))
            val failed = h.events.filterIsInstance<ClusterFailed>().single()
            failed.reason shouldContain "4 unexpected worker deaths within 10s (maxRestarts = 3)"
            failed.reason shouldContain "boom"
            h.loop.state.value.shouldBeInstanceOf<ClusterState.Failed>()
            h.after(1.seconds)
            h.launcher.launched.size shouldBe 4
        }
    }

    test("deaths that fall out of the restart window do not count") {
        runTest {
            val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, maxRestarts = 2, restartWindow = 10.seconds, backoffFactor = 1.0))
            h.spawn(1)
            repeat(6) { n -> h.up(); h.after(6.seconds); h.exit(h.process(n)); h.after(100.milliseconds) }
            h.loop.state.value shouldBe ClusterState.Running
            h.events.filterIsInstance<RespawnScheduled>().map { it.restarts }.max() shouldBe 2
        }
    }

    test("workers that die before they are ready, several in a row, stop the cluster with their stderr") {
        runTest {
            val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, maxBootFailures = 3))
            h.spawn(1)
            repeat(3) { n -> h.exit(h.process(n), stderr = listOf("Error: Could not find or load main class test.Main")); h.after(1.seconds) }
            val failed = h.loop.state.value.shouldBeInstanceOf<ClusterState.Failed>()
            failed.reason shouldContain "3 workers in a row died before they were ready"
            failed.reason shouldContain "Could not find or load main class"
            h.launcher.launched.size shouldBe 3
        }
    }

    test("a worker exiting with CANNOT_BOOT stops the cluster at once") {
        runTest {
            val h = LoopHarness(this)
            h.spawn(2)
            h.exit(h.process(0), Supervision.CANNOT_BOOT, listOf("cannot boot: DATABASE_URL is not set"))
            h.loop.state.value.shouldBeInstanceOf<ClusterState.Failed>().reason shouldContain "DATABASE_URL is not set"
            h.after(1.seconds)
            h.launcher.launched.size shouldBe 2
        }
    }

    test("a worker not ready within bootTimeout is dumped, killed, and counts as a boot failure") {
        runTest {
            val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.READY, heartbeatTimeout = null, bootTimeout = 5.seconds))
            h.spawn(1)
            h.up() // online, but it never calls ready()
            h.after(5.seconds)
            h.process(0).signals shouldContainExactly listOf(Signal.QUIT)
            h.after(1.seconds)
            h.process(0).signals shouldContainExactly listOf(Signal.QUIT, Signal.KILL)
            h.exit(h.process(0), 137)
            h.exits().single().reason shouldBe ExitReason.BOOT_TIMEOUT
            h.delays() shouldContainExactly listOf(100.milliseconds)
        }
    }

    test("a worker that stops answering heartbeats is dumped, killed and replaced") {
        runTest {
            val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatInterval = 1.seconds, heartbeatTimeout = 3.seconds))
            h.spawn(1)
            h.up()
            val link = h.links.getValue(h.process(0).pid)
            // It answers for a while…
            repeat(5) { h.after(1.seconds); h.loop.enqueue(PrimaryInput.Control(1, link, ControlMessage.Pong(it + 1L, 0))) }
            h.process(0).signals shouldBe emptyList()
            // …then hangs.
            h.after(4.seconds)
            h.process(0).signals shouldContainExactly listOf(Signal.QUIT)
            h.after(1.seconds)
            h.process(0).signals.last() shouldBe Signal.KILL
            h.exit(h.process(0), 137)
            h.exits().single().reason shouldBe ExitReason.HEARTBEAT
            h.exits().single().exitedAfterDisconnect shouldBe false
            h.after(100.milliseconds)
            h.launcher.launched.size shouldBe 2
        }
    }

    test("spawn(-n) retires the youngest workers by default, the oldest if asked") {
        for ((order, retired, nextSlot) in listOf(Triple(CullOrder.YOUNGEST, listOf(1, 2), 1), Triple(CullOrder.OLDEST, listOf(0, 1), 0))) {
            runTest {
                val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, cullOrder = order))
                repeat(3) { h.spawn(1); h.up(); h.after(1.seconds) }
                h.spawn(-2)
                (0..2).filter { h.disconnectAsked(h.process(it)) } shouldContainExactly retired
                retired.forEach { h.exit(h.process(it), 0) }
                h.exits().map { it.reason }.toSet() shouldBe setOf(ExitReason.SCALE_DOWN)
                h.loop.activeWorkers().map { it.id } shouldBe listOf((0..2).single { it !in retired } + 1)
                h.after(1.seconds)
                h.launcher.launched.size shouldBe 3 // nothing respawned
                h.spawn(1)
                h.slotOf(h.launcher.launched.last()) shouldBe nextSlot // the lowest free slot
            }
        }
    }

    test("reload replaces each slot in turn: fork, wait until ready, then disconnect the old one") {
        runTest {
            val h = LoopHarness(this)
            h.spawn(2)
            h.up()
            val result = async { h.loop.reload() }
            runCurrent()
            h.launcher.launched.size shouldBe 3 // one at a time
            h.slotOf(h.process(2)) shouldBe 0
            h.disconnectAsked(h.process(0)) shouldBe false // not before its replacement is ready
            h.up()
            h.disconnectAsked(h.process(0)) shouldBe true
            h.launcher.launched.size shouldBe 4
            h.slotOf(h.process(3)) shouldBe 1
            h.up()
            h.disconnectAsked(h.process(1)) shouldBe true
            result.isCompleted shouldBe false // the old ones are still draining
            h.exit(h.process(0), 0)
            h.exit(h.process(1), 0)
            result.await().replaced shouldBe 2
            h.exits().map { it.reason } shouldContainExactly listOf(ExitReason.RELOAD, ExitReason.RELOAD)
            h.loop.activeWorkers().map { it.id } shouldContainExactly listOf(3, 4)
            h.events.filterIsInstance<ReloadFinished>().single() shouldBe ReloadFinished(2, null)
            h.delays() shouldBe emptyList()
        }
    }

    test("a reload whose replacement never becomes ready stops and leaves the old workers serving") {
        runTest {
            val h = LoopHarness(this)
            h.spawn(2)
            h.up()
            val result = async { runCatching { h.loop.reload() } }
            runCurrent()
            h.exit(h.process(2), 1, listOf("NoClassDefFoundError: the new code is broken"))
            val failure = result.await().exceptionOrNull().shouldBeInstanceOf<ReloadFailedException>()
            failure.message shouldContain "NoClassDefFoundError"
            h.launcher.launched.size shouldBe 3 // slot 1 was not touched
            h.disconnectAsked(h.process(0)) shouldBe false
            h.disconnectAsked(h.process(1)) shouldBe false
            h.loop.activeWorkers().map { it.id } shouldContainExactly listOf(1, 2)
            h.loop.state.value shouldBe ClusterState.Running
            h.delays() shouldBe emptyList() // a failed replacement is not respawned: the old one serves
        }
    }

    test("an old worker that crashes while its replacement boots leaves the slot to it; if that one dies too, the reload fails and the slot respawns") {
        runTest {
            val h = LoopHarness(this)
            h.spawn(1)
            h.up()
            val result = async { runCatching { h.loop.reload() } }
            runCurrent()
            h.exit(h.process(0)) // the old one crashes: its replacement is already booting
            h.launcher.launched.size shouldBe 2
            h.exit(h.process(1)) // …and the replacement dies before it is ready
            result.await().exceptionOrNull().shouldBeInstanceOf<ReloadFailedException>()
            h.after(1.seconds)
            h.launcher.launched.size shouldBe 3
            h.up()
            h.loop.activeWorkers().map { it.id } shouldContainExactly listOf(3)
        }
    }

    test("reloads asked for during a reload make exactly one more") {
        runTest {
            val h = LoopHarness(this)
            h.spawn(1)
            h.up()
            val first = async { h.loop.reload() }
            runCurrent()
            val more = List(5) { async { h.loop.reload() } }
            runCurrent()
            h.up(); h.exit(h.process(0), 0) // the first reload ends; the second starts
            first.await().replaced shouldBe 1
            h.up(); h.exit(h.process(1), 0)
            more.forEach { it.await().replaced shouldBe 1 }
            h.launcher.launched.size shouldBe 3
            h.events.filterIsInstance<ReloadStarted>().size shouldBe 2
        }
    }

    test("a worker over maxRss is replaced gracefully, its replacement ready first") {
        runTest {
            val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, heartbeatInterval = 1.seconds, maxRss = 100_000_000))
            h.spawn(1)
            h.up()
            h.rss = 200_000_000
            h.after(1.seconds)
            h.launcher.launched.size shouldBe 2
            h.disconnectAsked(h.process(0)) shouldBe false
            h.up()
            h.disconnectAsked(h.process(0)) shouldBe true
            h.exit(h.process(0), 0)
            h.exits().single().reason shouldBe ExitReason.MEMORY
        }
    }

    test("maxRequests: each worker gets the limit plus its jitter, and its recycle request replaces it") {
        runTest {
            val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, maxRequests = 1000, maxRequestsJitter = 50))
            h.spawn(2)
            h.up()
            (0..1).forEach { h.process(it).spec.environment.getValue("JCLUSTER_MAX_REQUESTS").toLong() shouldBeInRange 1000L..1050L }
            h.loop.enqueue(PrimaryInput.Control(1, h.links.getValue(h.process(0).pid), ControlMessage.Recycle(io.jcluster.internal.RecycleReason.MAX_REQUESTS)))
            runCurrent()
            h.slotOf(h.process(2)) shouldBe 0
            h.up()
            h.exit(h.process(0), 0)
            h.exits().single().reason shouldBe ExitReason.MAX_REQUESTS
        }
    }

    test("a supervised worker that the user disconnects or kills is replaced at once, without backoff") {
        runTest {
            val h = LoopHarness(this)
            h.spawn(1)
            h.up()
            h.loop.workers.value.getValue(1).kill()
            runCurrent()
            h.exit(h.process(0), 143)
            h.launcher.launched.size shouldBe 2
            h.delays() shouldBe emptyList()
        }
    }

    test("disconnect() stops supervision: nothing is respawned") {
        runTest {
            val h = LoopHarness(this)
            h.spawn(2)
            h.up()
            val done = async { h.loop.disconnectAll() }
            runCurrent()
            h.loop.state.value shouldBe ClusterState.Stopping
            h.exit(h.process(0), 0)
            h.exit(h.process(1), 0)
            done.await()
            h.loop.state.value shouldBe ClusterState.Idle
            h.launcher.launched.size shouldBe 2
        }
    }

    test("a worker whose launch fails counts as a boot failure and its slot is respawned, not left stuck") {
        runTest {
            val h = LoopHarness(this)
            h.launcher.failNext = java.io.IOException("no such file: /bad/java")
            h.spawn(1)
            h.delays() shouldContainExactly listOf(100.milliseconds)
            h.after(100.milliseconds)
            h.up()
            h.loop.activeWorkers().map { it.id } shouldContainExactly listOf(2)
        }
    }

    test("a warm standby starts once every slot is ready, stays unseen, and takes a dead worker's slot without a fork") {
        runTest {
            val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, standby = 1))
            h.spawn(2)
            h.launcher.launched.size shouldBe 2 // not while the slots' workers boot
            h.up()
            h.launcher.launched.size shouldBe 3
            val standby = h.process(2)
            standby.spec.environment["JCLUSTER_STANDBY"] shouldBe "1"
            standby.spec.environment["JCLUSTER_WORKER_SLOT"] shouldBe null
            h.up()
            h.events.filterIsInstance<WorkerEvent.Forked>().size shouldBe 2
            h.events.filterIsInstance<WorkerEvent.Online>().size shouldBe 2
            h.loop.workers.value.keys shouldBe setOf(1, 2)

            h.exit(h.process(0))
            h.after(100.milliseconds) // the respawn delay still applies
            val promoted = h.loop.workers.value.getValue(standby.spec.workerId)
            promoted.slot shouldBe 0
            h.links.getValue(standby.pid).control shouldContain ControlMessage.Promote(0)
            h.events.filterIsInstance<WorkerEvent.Forked>().last().worker shouldBe promoted
            h.loop.activeWorkers().map { it.id } shouldContainExactly listOf(3, 2)
            // The promoted one is ready (readyWhen = STARTED): the cluster is settled again, and a new standby starts.
            h.launcher.launched.size shouldBe 4
            h.process(3).spec.environment["JCLUSTER_STANDBY"] shouldBe "1"
        }
    }

    test("a worker recycled for maxRequests is replaced by the standby") {
        runTest {
            val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, standby = 1))
            h.spawn(1)
            h.up(); h.up()
            val standby = h.process(1)
            h.loop.enqueue(PrimaryInput.Control(1, h.links.getValue(h.process(0).pid), ControlMessage.Recycle(RecycleReason.MAX_REQUESTS)))
            runCurrent()
            h.links.getValue(standby.pid).control shouldContain ControlMessage.Promote(0)
            h.disconnectAsked(h.process(0)) shouldBe true // its replacement was ready at once
            h.exit(h.process(0), 0)
            h.exits().single().reason shouldBe ExitReason.MAX_REQUESTS
            h.launcher.launched.size shouldBe 3 // the next standby
        }
    }

    test("a reload retires the standby it finds, starts a fresh one at once, and uses it for a later slot") {
        runTest {
            val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, standby = 1))
            h.spawn(2)
            h.up(); h.up()
            val result = async { h.loop.reload() }
            runCurrent()
            h.disconnectAsked(h.process(2)) shouldBe true // the old standby, which runs the old code
            h.launcher.launched.size shouldBe 5
            h.slotOf(h.process(3)) shouldBe 0 // slot 0's replacement: a fork
            h.process(4).spec.environment["JCLUSTER_STANDBY"] shouldBe "1" // a standby with the new code
            h.up(h.process(4)) // the new standby is online first…
            h.up() // …so once slot 0's replacement is ready, slot 1 gets the standby
            h.links.getValue(h.process(4).pid).control shouldContain ControlMessage.Promote(1)
            h.launcher.launched.size shouldBe 5 // every slot has started: the next standby waits for the old workers to go
            h.exit(h.process(0), 0)
            h.exit(h.process(1), 0)
            h.exit(h.process(2), 0)
            result.await().replaced shouldBe 2
            h.launcher.launched.size shouldBe 6 // and now starts
            h.loop.activeWorkers().map { it.id } shouldContainExactly listOf(4, 5)
            h.exits().map { it.worker.id } shouldContainExactly listOf(1, 2) // the retired standby's exit is not an event
        }
    }

    test("with reloadTakesStandbys a reload promotes the standbys of the build on disk into every slot at once, and forks none") {
        runTest {
            val h = standbyTakingHarness(standby = 2)
            h.spawn(2)
            h.up(); h.up(); h.up() // the workers (processes 0, 1), then the standbys they let start, one at a time (2, 3)
            val result = async { h.loop.reload() }
            runCurrent()
            h.links.getValue(h.process(2).pid).control shouldContain ControlMessage.Promote(0)
            h.links.getValue(h.process(3).pid).control shouldContain ControlMessage.Promote(1) // not waiting for slot 0: reloadParallelism counts boots, and a promotion is none
            h.launcher.launched.size shouldBe 4 // no JVM starts while the old workers drain: not even the next standbys
            h.exit(h.process(0), 0)
            h.exit(h.process(1), 0)
            result.await().replaced shouldBe 2
            h.loop.activeWorkers().map { it.id } shouldContainExactly listOf(3, 4)
            h.launcher.launched.drop(4).map { it.spec.environment["JCLUSTER_STANDBY"] } shouldBe listOf("1") // then they start, one at a time
            h.up(h.process(4))
            h.launcher.launched.drop(4).map { it.spec.environment["JCLUSTER_STANDBY"] } shouldBe listOf("1", "1")
        }
    }

    test("with reloadTakesStandbys and one standby, the next slot waits for the standby the reload started rather than fork beside it") {
        runTest {
            val h = standbyTakingHarness(standby = 1)
            h.spawn(2)
            h.up(); h.up()
            val result = async { h.loop.reload() }
            runCurrent()
            h.links.getValue(h.process(2).pid).control shouldContain ControlMessage.Promote(0)
            h.launcher.launched.size shouldBe 4 // slot 0's standby is replaced at once…
            h.process(3).spec.environment["JCLUSTER_STANDBY"] shouldBe "1" // …and slot 1 waits for it: reloadParallelism 1, and it boots
            h.up(h.process(3))
            h.links.getValue(h.process(3).pid).control shouldContain ControlMessage.Promote(1)
            h.exit(h.process(0), 0)
            h.exit(h.process(1), 0)
            result.await().replaced shouldBe 2
            h.launcher.launched.count { it.spec.environment["JCLUSTER_STANDBY"] == null } shouldBe 2 // the first two workers: the reload forked none
        }
    }

    test("with reloadTakesStandbys a reload still retires the standbys started before the jar changed, and forks") {
        runTest {
            val jar = tempJar()
            val h = standbyTakingHarness(standby = 1, jar)
            h.spawn(1)
            h.up(); h.up()
            Files.write(jar, byteArrayOf(1, 2, 3)) // a rebuild: other bytes, another size
            val result = async { h.loop.reload() }
            runCurrent()
            h.disconnectAsked(h.process(1)) shouldBe true // the standby runs the old build
            h.slotOf(h.process(2)) shouldBe 0 // slot 0's replacement: a fork
            h.up(h.process(2))
            h.exit(h.process(0), 0)
            h.exit(h.process(1), 0)
            result.await().replaced shouldBe 1
        }
    }

    test("standbys that keep dying are given up after maxBootFailures; dead workers are then forked") {
        runTest {
            val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, standby = 1, maxBootFailures = 3))
            h.spawn(1)
            h.up()
            h.exit(h.process(1)); h.after(100.milliseconds)
            h.exit(h.process(2)); h.after(200.milliseconds)
            h.exit(h.process(3)); h.after(10.seconds)
            h.launcher.launched.size shouldBe 4
            h.loop.state.value shouldBe ClusterState.Running // standbys are an optimisation: their deaths do not fail the cluster
            h.exits() shouldBe emptyList()
            h.exit(h.process(0))
            h.after(100.milliseconds)
            h.slotOf(h.process(4)) shouldBe 0
        }
    }

    test("a change of settings replaces the standby") {
        runTest {
            val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, standby = 1))
            h.spawn(1)
            h.up(); h.up()
            h.loop.setup { it.copy(jvmArgs = listOf("-Xmx64m")) }
            runCurrent()
            h.disconnectAsked(h.process(1)) shouldBe true
            h.launcher.launched.size shouldBe 3
            h.process(2).spec.command shouldContain "-Xmx64m"
        }
    }

    test("settings that cannot work are refused with the fix") {
        shouldThrow<IllegalArgumentException> { Supervision(heartbeatInterval = 10.seconds, heartbeatTimeout = 5.seconds) }
            .message shouldContain "must be longer than heartbeatInterval"
        shouldThrow<IllegalArgumentException> { Supervision(backoffFactor = 0.5) }.message shouldContain "backoffFactor"
    }
})

/** A jar-like file to stand for the workers' classpath: its size and time are what a build changes. */
private fun tempJar(): Path = Files.createTempFile("jcluster-app", ".jar").also { it.toFile().deleteOnExit() }

/** A harness whose reloads take standbys ([Supervision.reloadTakesStandbys]), with [jar] as the workers' classpath. */
private fun TestScope.standbyTakingHarness(standby: Int, jar: Path = tempJar()) =
    LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, standby = standby, reloadTakesStandbys = true), "$jar")
