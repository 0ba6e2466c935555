package io.jcluster

import io.jcluster.internal.ControlMessage
import io.jcluster.internal.ControlServer
import io.jcluster.internal.PrimaryInput
import io.jcluster.internal.PrimaryLoop
import io.jcluster.internal.WorkerCommands
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContainExactly
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
import java.io.IOException
import java.nio.file.Path
import kotlin.time.Duration.Companion.seconds

/** The primary's decisions, against a fake launcher and fake links, in virtual time. */
@OptIn(ExperimentalCoroutinesApi::class) // advanceTimeBy and runCurrent: virtual time is the point
class PrimaryLoopSpec : FunSpec({
    class Harness(val test: TestScope, settings: ClusterSettings = ClusterSettings(mainClass = "test.Main")) {
        val launcher = FakeLauncher()
        val loop = PrimaryLoop(settings, launcher, test.backgroundScope, WorkerCommands({ Path.of("/nowhere/control.sock") }, null))
        val events = mutableListOf<ClusterEvent>()

        init {
            loop.start()
            test.backgroundScope.launch(start = CoroutineStart.UNDISPATCHED) { loop.events.collect { events += it } }
        }

        fun process(worker: Worker) = launcher.launched.single { it.spec.workerId == worker.id }

        /** Forks a worker and lets it say hello over [link]. */
        fun online(link: FakeLink = FakeLink()): Pair<Worker, FakeLink> {
            val worker = loop.fork(emptyMap())
            test.runCurrent()
            loop.enqueue(PrimaryInput.Hello(worker.id, process(worker).token, process(worker).pid, link))
            links[worker.id] = link
            test.runCurrent()
            return worker to link
        }

        fun linkDown(worker: Worker, link: FakeLink) = loop.enqueue(PrimaryInput.LinkDown(worker.id, link)).also { test.runCurrent() }

        val links = HashMap<Int, FakeLink>()

        /** The process exits; its channel then closes, as a dead process's does (unless the spec closed it already). */
        fun exit(worker: Worker, status: ExitStatus) {
            process(worker).exit(status)
            links[worker.id]?.let { loop.enqueue(PrimaryInput.LinkDown(worker.id, it)) }
            test.runCurrent()
        }

        /** The process exits while its channel stays up (a child of it holds the socket, say). */
        fun exitOnly(worker: Worker, status: ExitStatus) = process(worker).exit(status).also { test.runCurrent() }

        fun names() = events.map { it::class.simpleName }
    }

    test("ids count from 1 and are never reused") {
        runTest {
            val h = Harness(this)
            val (first, link) = h.online()
            h.exit(first, ExitStatus(0, null))
            h.linkDown(first, link)
            h.loop.workers.value shouldBe emptyMap()
            listOf(first.id, h.loop.fork(emptyMap()).id, h.loop.fork(emptyMap()).id) shouldContainExactly listOf(1, 2, 3)
        }
    }

    test("a hello with a wrong token, or for an unknown worker, is refused; the right one brings the worker online") {
        runTest {
            val h = Harness(this)
            val worker = h.loop.fork(emptyMap())
            runCurrent()
            val impostor = FakeLink().also { h.loop.enqueue(PrimaryInput.Hello(worker.id, "not-the-token", 1000, it)) }
            val stranger = FakeLink().also { h.loop.enqueue(PrimaryInput.Hello(99, h.process(worker).token, 1000, it)) }
            runCurrent()
            impostor.closed shouldBe true
            stranger.closed shouldBe true
            worker.state.value shouldBe WorkerState.Forked
            h.loop.enqueue(PrimaryInput.Hello(worker.id, h.process(worker).token, h.process(worker).pid, FakeLink()))
            runCurrent()
            worker.state.value shouldBe WorkerState.Online
            h.names() shouldContainExactly listOf("Forked", "Online")
        }
    }

    test("a worker that does not exit within the disconnect timeout gets TERM, then KILL after the kill timeout") {
        runTest {
            val h = Harness(this, ClusterSettings(mainClass = "test.Main", disconnectTimeout = 10.seconds, killTimeout = 5.seconds))
            val (worker, link) = h.online()
            worker.disconnect()
            runCurrent()
            link.control shouldContainExactly listOf(ControlMessage.Disconnect)
            advanceTimeBy(9_999)
            h.process(worker).signals.shouldBeEmpty()
            advanceTimeBy(2)
            h.process(worker).signals shouldContainExactly listOf(Signal.TERM)
            advanceTimeBy(5_001)
            h.process(worker).signals shouldContainExactly listOf(Signal.TERM, Signal.KILL)
            h.exit(worker, ExitStatus(null, Signal.KILL))
            val exited = h.events.filterIsInstance<WorkerEvent.Exited>().single()
            exited.reason shouldBe ExitReason.DISCONNECT_TIMEOUT
            exited.exitedAfterDisconnect shouldBe true
        }
    }

    test("a worker that exits in time after disconnect gets no signal") {
        runTest {
            val h = Harness(this, ClusterSettings(mainClass = "test.Main", disconnectTimeout = 10.seconds))
            val (worker, link) = h.online()
            worker.disconnect()
            advanceTimeBy(3_000)
            h.linkDown(worker, link)
            h.exit(worker, ExitStatus(0, null))
            advanceTimeBy(60_000)
            h.process(worker).signals.shouldBeEmpty()
            h.events.filterIsInstance<WorkerEvent.Exited>().single().reason shouldBe ExitReason.DISCONNECT
        }
    }

    test("a worker leaves the registry only after it both disconnected and exited, in either order") {
        // An exit seen while the channel is up waits for it (or 5 s): what the worker sent before it exited comes first.
        runTest {
            val h = Harness(this)
            val (exitsFirst, link1) = h.online()
            val (closesFirst, link2) = h.online()
            h.exitOnly(exitsFirst, ExitStatus(1, null))
            h.linkDown(closesFirst, link2)
            h.loop.workers.value.keys shouldContainExactly setOf(exitsFirst.id, closesFirst.id)
            h.linkDown(exitsFirst, link1)
            h.exit(closesFirst, ExitStatus(0, null))
            h.loop.workers.value shouldBe emptyMap()
        }
    }

    test("a disconnect asked before the worker is online goes out when it says hello") {
        runTest {
            val h = Harness(this)
            val worker = h.loop.fork(emptyMap())
            runCurrent()
            worker.disconnect()
            runCurrent()
            val link = FakeLink()
            h.loop.enqueue(PrimaryInput.Hello(worker.id, h.process(worker).token, h.process(worker).pid, link))
            runCurrent()
            link.control shouldContainExactly listOf(ControlMessage.Disconnect)
        }
    }

    test("an exit seen while the worker's channel is up is handled at the channel's end, or after 5 s") {
        runTest {
            val h = Harness(this)
            val (worker, link) = h.online()
            h.exitOnly(worker, ExitStatus(0, null))
            h.loop.enqueue(PrimaryInput.Control(worker.id, link, ControlMessage.Disconnecting)) // read after the exit was seen
            runCurrent()
            h.events.filterIsInstance<WorkerEvent.Exited>() shouldBe emptyList()
            h.linkDown(worker, link)
            h.events.filterIsInstance<WorkerEvent.Exited>().single().reason shouldBe ExitReason.DISCONNECT
            val (stuck, _) = h.online()
            h.exitOnly(stuck, ExitStatus(0, null))
            advanceTimeBy(5_001)
            h.events.filterIsInstance<WorkerEvent.Exited>().map { it.worker } shouldContainExactly listOf(worker, stuck)
        }
    }

    test("disconnecting all completes at once with no workers, and once every worker is gone otherwise") {
        runTest {
            val h = Harness(this)
            h.loop.disconnectAll()
            val (a, linkA) = h.online()
            val (b, linkB) = h.online()
            val all = async { h.loop.disconnectAll() }
            runCurrent()
            listOf(linkA, linkB).forEach { it.control shouldContainExactly listOf(ControlMessage.Disconnect) }
            h.exitOnly(a, ExitStatus(0, null))
            h.linkDown(a, linkA)
            h.exitOnly(b, ExitStatus(0, null))
            all.isCompleted shouldBe false
            h.linkDown(b, linkB)
            all.isCompleted shouldBe true
        }
    }

    test("a worker that cannot be started is Forked, Disconnected and Exited with the reason, and the loop goes on") {
        runTest {
            val h = Harness(this)
            h.launcher.failNext = IOException("no such file: /bad/java")
            val worker = h.loop.fork(emptyMap())
            runCurrent()
            h.names() shouldContainExactly listOf("Forked", "Disconnected", "Exited")
            val exited = h.events.last().shouldBeInstanceOf<WorkerEvent.Exited>()
            exited.code shouldBe 127
            exited.stderr.single() shouldContain "no such file"
            worker.isDead() shouldBe true
            h.online().first.state.value shouldBe WorkerState.Online
        }
    }

    test("exit reasons: crash, signal, clean exit, kill") {
        runTest {
            val h = Harness(this)
            val (crash, _) = h.online().also { h.exit(it.first, ExitStatus(3, null)) }
            val (signalled, _) = h.online().also { h.exit(it.first, ExitStatus(null, Signal.SEGV)) }
            val (clean, _) = h.online().also { h.exit(it.first, ExitStatus(0, null)) }
            val (killed, killedLink) = h.online()
            killed.kill(Signal.KILL)
            runCurrent()
            killedLink.closed shouldBe false // it closes when the process dies
            h.process(killed).signals shouldContainExactly listOf(Signal.KILL)
            h.exit(killed, ExitStatus(null, Signal.KILL))
            val reasons = h.events.filterIsInstance<WorkerEvent.Exited>().associate { it.worker to (it.reason to it.exitedAfterDisconnect) }
            reasons shouldBe mapOf(
                crash to (ExitReason.CRASH to false), signalled to (ExitReason.SIGNAL to false),
                clean to (ExitReason.EXITED to false), killed to (ExitReason.KILL to true),
            )
        }
    }

    test("control messages only workers receive, and messages over a refused link, are ignored") {
        runTest {
            val h = Harness(this)
            val (worker, link) = h.online()
            // One the primary sends cannot even be an input of the loop: the control server drops it.
            ControlServer.fromWorker(ControlMessage.Disconnect) shouldBe null
            h.loop.enqueue(PrimaryInput.UserMessage(worker.id, FakeLink(), Ping(1), null))
            runCurrent()
            worker.state.value shouldBe WorkerState.Online
            h.names() shouldContainExactly listOf("Forked", "Online")
            h.loop.enqueue(PrimaryInput.UserMessage(worker.id, link, Ping(2), null))
            runCurrent()
            h.events.last().shouldBeInstanceOf<WorkerEvent.Message>().payload shouldBe Ping(2)
        }
    }

    test("setup changes the settings for later forks only, and says so") {
        runTest {
            val h = Harness(this)
            val before = h.online().first
            val changed = h.loop.setup { it.copy(environment = mapOf("COLOR" to "blue")) }
            val after = h.online().first
            h.process(before).spec.environment["COLOR"] shouldBe null
            h.process(after).spec.environment["COLOR"] shouldBe "blue"
            h.events.filterIsInstance<Setup>().single().settings shouldBe changed
        }
    }

    test("a settings change that throws fails that call only; the loop goes on") {
        runTest {
            val h = Harness(this)
            val failure = runCatching { h.loop.setup { error("bad change") } }.exceptionOrNull()
            failure?.message shouldBe "bad change"
            h.online().first.state.value shouldBe WorkerState.Online
        }
    }

    test("a worker launched while the primary closes is killed at once") {
        runTest {
            val h = Harness(this)
            h.loop.closing = true
            val worker = h.loop.fork(emptyMap())
            runCurrent()
            h.process(worker).signals shouldContainExactly listOf(Signal.KILL)
        }
    }
})
