package io.jcluster

import io.jcluster.internal.LoopInbox
import io.jcluster.internal.PrimaryInput
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.async
import kotlinx.coroutines.withTimeout

/** The primary loop's two lanes: lifecycle before a backlog of messages, a worker's own order kept. */
class LoopInboxSpec : FunSpec({
    timeout = 10_000

    fun message(link: FakeLink, n: Int) = PrimaryInput.UserMessage(1, link, n, null)

    test("an exit queued behind 1,000 messages is taken before them, and the messages keep their order") {
        val inbox = LoopInbox()
        val link = FakeLink()
        repeat(1_000) { inbox.send(message(link, it)) }
        inbox.send(PrimaryInput.Exited(2, ExitStatus(null, Signal.KILL), emptyList()))
        inbox.receive().shouldBeInstanceOf<PrimaryInput.Exited>()
        List(1_000) { (inbox.receive() as PrimaryInput.UserMessage).payload } shouldBe List(1_000) { it }
    }

    test("a worker's link going down comes after every message it sent, and before another worker's backlog once it has none") {
        val inbox = LoopInbox()
        val busy = FakeLink()
        val quiet = FakeLink()
        repeat(3) { inbox.send(message(busy, it)) }
        inbox.send(PrimaryInput.LinkDown(1, busy))
        inbox.send(PrimaryInput.LinkDown(2, quiet))
        inbox.receive() shouldBe PrimaryInput.LinkDown(2, quiet)
        List(4) { inbox.receive() } shouldBe listOf(message(busy, 0), message(busy, 1), message(busy, 2), PrimaryInput.LinkDown(1, busy))
    }

    test("once a worker's messages were taken, its link going down no longer waits behind other workers' messages") {
        val inbox = LoopInbox()
        val worker = FakeLink()
        val other = FakeLink()
        inbox.send(message(worker, 0))
        inbox.receive() shouldBe message(worker, 0)
        repeat(2) { inbox.send(message(other, it)) }
        inbox.send(PrimaryInput.LinkDown(1, worker))
        inbox.receive() shouldBe PrimaryInput.LinkDown(1, worker)
    }

    test("a flood of lifecycle inputs does not starve the messages: one goes after every 64 of them") {
        val inbox = LoopInbox()
        val link = FakeLink()
        repeat(3) { inbox.send(message(link, it)) }
        repeat(200) { inbox.send(PrimaryInput.Probe(CompletableDeferred())) }
        val taken = List(203) { inbox.receive() }
        taken.withIndex().filter { it.value is PrimaryInput.UserMessage }.map { it.index } shouldBe listOf(64, 129, 194)
    }

    test("a receive waiting on an empty inbox wakes for either lane") {
        val inbox = LoopInbox()
        withTimeout(5_000) {
            val first = async { inbox.receive() }
            val probe = PrimaryInput.Probe(CompletableDeferred())
            inbox.send(probe)
            first.await() shouldBe probe
            val next = async { inbox.receive() }
            inbox.send(message(FakeLink(), 7))
            (next.await() as PrimaryInput.UserMessage).payload shouldBe 7
        }
    }
})
