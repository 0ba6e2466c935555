package io.jcluster

import io.jcluster.WorkerEvent.Listening
import io.jcluster.WorkerEvent.Online
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.delay
import kotlinx.coroutines.withTimeout
import kotlin.time.Duration.Companion.milliseconds

/**
 * Round-robin with workers of `fork()`, which no heartbeat pings: they are never late, however long
 * after they became ready (a regression had them skipped for good once two heartbeat intervals passed).
 */
class RoundRobinForkSpec : FunSpec({
    timeout = 60_000

    test("workers of fork() still get connections long after they became ready") {
        val supervision = Supervision(heartbeatInterval = HEARTBEAT, heartbeatTimeout = HEARTBEAT * 10)
        withCluster(testSettings("serve").copy(strategy = SharingStrategy.ROUND_ROBIN, supervision = supervision)) { primary, log ->
            val workers = List(2) { primary.fork() }
            workers.forEach { log.await<Online>(it); it.send(ListenCommand()) }
            workers.forEach { log.await<Listening>(it) }
            val port = log.await<Listening>(workers[0]).port
            // No event says "late": let the time pass after which a pinged worker would be (two intervals).
            delay(HEARTBEAT * 5)
            withTimeout(10_000) { connectMany(port, 4, parallel = false).toSet() } shouldBe workers.map { it.id }.toSet()
        }
    }
})

private val HEARTBEAT = 100.milliseconds
