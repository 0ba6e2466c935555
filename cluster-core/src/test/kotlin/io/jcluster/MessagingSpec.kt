package io.jcluster

import io.jcluster.WorkerEvent.Message
import io.jcluster.WorkerEvent.Online
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf

/** Messages between primary and workers (Node's test-cluster-worker-init, -message). */
class MessagingSpec : FunSpec({
    timeout = 20_000

    test("a message sent from the Online handler arrives, and is answered once") {
        val react: suspend (ClusterEvent) -> Unit = { if (it is Online) it.worker.send(Ping(1)) }
        withCluster(testSettings("echo"), react) { primary, log ->
            val worker = primary.fork()
            log.await<Message>(worker)
            worker.disconnect()
            log.awaitGone(worker)
            log.messagesOf(worker) shouldContainExactly listOf(Pong(1, worker.id))
        }
    }

    test("messages go both ways, in order: the worker's first, then a Pong for each Ping") {
        withCluster(testSettings("greet")) { primary, log ->
            val worker = primary.fork()
            val pings = (1..20).map { Ping(it) }
            pings.forEach { worker.send(it) } // before it is online: each send waits for it
            log.await<Message>(worker) { it.payload == Pong(pings.size, worker.id) }

            val greeting = log.messagesOf(worker).first().shouldBeInstanceOf<Greeting>()
            (greeting.workerId to greeting.pid) shouldBe (worker.id to worker.pid)
            log.messagesOf(worker).drop(1) shouldContainExactly pings.map { Pong(it.n, worker.id) }
        }
    }
})
