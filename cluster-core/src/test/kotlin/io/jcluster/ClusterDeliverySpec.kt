package io.jcluster

import io.jcluster.ipc.IpcClosedException
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import kotlin.time.Duration.Companion.seconds

/** The delivery guarantees of docs/ipc.md between a primary and a real worker JVM. */
class ClusterDeliverySpec : FunSpec({
    timeout = 90_000

    // post() and send() alternate in the second: one order for both, whichever a call used.
    listOf("flood" to "send()", "post-flood" to "post() and send()").forEach { (behaviour, how) ->
        test("everything a worker sends with $how before its own disconnect() reaches the primary, in order, before Disconnected: 100,000 messages") {
            val count = 100_000
            Primary(testSettings("$behaviour:$count")).use { primary ->
                var next = 0
                var firstGap: String? = null
                var seenAtDisconnect = -1
                val exited = CompletableDeferred<WorkerEvent.Exited>()
                coroutineScope {
                    // Counting inside the primary's own emit (Unconfined): 100,000 events, no list kept.
                    val collector = launch(Dispatchers.Unconfined, start = CoroutineStart.UNDISPATCHED) {
                        primary.events.collect { event ->
                            when (event) {
                                is WorkerEvent.Message -> {
                                    val n = (event.payload as Ping).n
                                    if (n != next && firstGap == null) firstGap = "message $n came where $next was due"
                                    next++
                                }
                                is WorkerEvent.Disconnected -> seenAtDisconnect = next
                                is WorkerEvent.Exited -> exited.complete(event)
                                else -> Unit
                            }
                        }
                    }
                    primary.fork()
                    val exit = withTimeout(60.seconds) { exited.await() }
                    collector.cancel()
                    "${exit.code} ${exit.reason}" shouldBe "0 DISCONNECT"
                }
                firstGap shouldBe null
                next shouldBe count
                seenAtDisconnect shouldBe count
            }
        }
    }

    test("a send to a worker that has gone fails with IpcClosedException, once its channel is down and once it has exited") {
        withCluster(testSettings("echo")) { primary, log ->
            val worker = primary.fork()
            withTimeout(60.seconds) { log.await<WorkerEvent.Online>(worker) }
            worker.send(Ping(1))
            log.await<WorkerEvent.Message>(worker) { it.payload == Pong(1, worker.id) }
            worker.kill(Signal.KILL)
            log.await<WorkerEvent.Disconnected>(worker)
            shouldThrow<IpcClosedException> { worker.send(Ping(2)) }
            log.await<WorkerEvent.Exited>(worker)
            shouldThrow<IpcClosedException> { worker.send(Ping(3)) }.message shouldContain "cannot send to worker ${worker.id}: it has exited"
        }
    }
})
