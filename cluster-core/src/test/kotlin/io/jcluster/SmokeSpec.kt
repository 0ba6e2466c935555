package io.jcluster

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.flow.takeWhile
import kotlinx.coroutines.async

class SmokeSpec : FunSpec({
    test("smoke") {
        Primary(ClusterSettings(mainClass = TestWorker::class.java.name, args = emptyList(), jvmArgs = emptyList(),
            environment = mapOf("TEST_BEHAVIOUR" to "echo"), fastStart = false)).use { primary ->
            val all = async(start = CoroutineStart.UNDISPATCHED) { primary.events.takeWhile { it !is WorkerEvent.Exited }.toList() }
            val t = System.nanoTime()
            val w = primary.fork()
            primary.events.filterIsInstance<WorkerEvent.Online>().first()
            println("ONLINE after ${(System.nanoTime() - t) / 1_000_000} ms")
            w.send(Ping(1))
            val pong = primary.events.filterIsInstance<WorkerEvent.Message>().first()
            println("GOT ${pong.payload}")
            primary.disconnect()
            println("EVENTS ${all.await().map { it::class.simpleName }}")
            primary.workers.value.size shouldBe 0
        }
    }
})
