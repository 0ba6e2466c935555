package io.jcluster

import io.jcluster.internal.CallReply
import io.jcluster.internal.ControlMessage
import io.jcluster.internal.PrimaryInput
import io.jcluster.internal.WireAddress
import io.jcluster.ipc.Handle
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.test.runTest

/**
 * A warm standby asks for its listener while it waits: the primary holds the call, and answers it
 * right after the standby's promotion, so that a promoted standby does not wait out that round trip.
 */
class StandbyListenSpec : FunSpec({
    timeout = 20_000

    /** A call's answer, with how many control messages its worker had been sent by then. */
    class RecordedReply(private val link: FakeLink) : CallReply {
        var answer: ControlMessage.ToWorker? = null
        var sentBefore = -1

        override suspend fun send(message: ControlMessage.ToWorker, handle: Handle?) {
            handle?.close()
            answer = message
            sentBefore = link.control.size
        }

        override suspend fun fail(text: String) = error("the call was refused: $text")
    }

    test("a standby's listen is held, unanswered, and answered right after its Promote once a slot's worker dies") {
        runTest {
            val h = LoopHarness(this, Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null, standby = 1))
            try {
                h.spawn(1)
                h.up()
                h.up() // the standby, forked once the slot's worker was ready
                val (serving, standby) = h.process(0) to h.process(1)
                h.loop.standbyPids.value shouldBe listOf(standby.pid)
                val link = h.links.getValue(standby.pid)
                val reply = RecordedReply(link)
                val listen = ControlMessage.Listen(WireAddress("127.0.0.1", 0), 16, SharingStrategy.SHARED)
                h.loop.enqueue(PrimaryInput.Control(standby.spec.workerId, link, listen, reply))
                h.after(kotlin.time.Duration.parse("1h"))
                reply.answer shouldBe null
                link.control.shouldBeEmpty()

                h.exit(serving, code = 1)
                link.control.first() shouldBe ControlMessage.Promote(0)
                reply.answer.shouldBeInstanceOf<ControlMessage.ListenGranted>()
                reply.sentBefore shouldBe 1 // the Promote went first
                h.loop.activeWorkers().map { it.id } shouldContainExactly listOf(standby.spec.workerId)
            } finally {
                h.loop.closePorts()
            }
        }
    }
})
