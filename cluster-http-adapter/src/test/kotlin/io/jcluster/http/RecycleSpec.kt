package io.jcluster.http

import io.jcluster.ExitReason
import io.jcluster.Supervision
import io.jcluster.WorkerEvent
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.coroutineScope

/** `Supervision.maxRequests` with a real HTTP server: the adapter counts, the primary replaces the worker gracefully. */
class RecycleSpec : FunSpec({
    timeout = 90_000

    test("a worker past maxRequests is replaced under load, its replacement ready first, and no request fails") {
        HttpCluster(AdapterUnderTest.Jdk, Supervision(maxRequests = 300, heartbeatTimeout = null)).use { cluster ->
            cluster.primary.spawn(1)
            val port = cluster.await { ((it as? WorkerEvent.Message)?.payload as? Serving)?.takeIf { s -> s.strategy == "shared" }?.port }
            val load = Load(port)
            val exited = coroutineScope {
                val job = load.start(this)
                try {
                    val exited = cluster.await { (it as? WorkerEvent.Exited)?.takeIf { e -> e.worker.id == 1 } }
                    val exitedAt = System.nanoTime()
                    awaitUntil({ "10 answers after the exit: $load" }) { load.answers.count { it.sentAt > exitedAt } >= 10 }
                    exited
                } finally {
                    load.stop()
                    job.join()
                }
            }
            withClue(load.toString()) {
                (exited.reason to exited.code) shouldBe (ExitReason.MAX_REQUESTS to 0)
                load.errors.toList().shouldBeEmpty()
                load.answers.map { it.workerId }.toSet() shouldBe setOf(1, 2)
                cluster.primary.activeWorkers().map { it.id } shouldBe listOf(2)
            }
        }
    }
})
