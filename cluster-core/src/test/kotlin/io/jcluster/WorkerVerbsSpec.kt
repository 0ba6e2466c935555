package io.jcluster

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.shouldBe

/**
 * The worker's own verbs (Node's `worker.kill()`, `destroy()` and `isConnected()` in a worker), and
 * exit codes above 128: the primary's events for each, from real worker processes.
 */
class WorkerVerbsSpec : FunSpec({
    timeout = 30_000

    fun WorkerEvent.Exited.summary() = "code=$code signal=$signal exitedAfterDisconnect=$exitedAfterDisconnect reason=$reason"

    /** Forks a worker of [behaviour], checks it says it is connected, lets it end itself, and returns its events. */
    suspend fun endedBySelf(behaviour: String): List<Seen> = withCluster(testSettings(behaviour)) { primary, log ->
        val worker = primary.fork()
        log.await<WorkerEvent.Message>(worker).payload shouldBe Connected(true)
        worker.send(Ping(1))
        log.awaitGone(worker)
    }

    for (verb in listOf("destroy", "kill-self")) {
        test("$verb in a worker: the primary sees Disconnected, then Exited with code 0 after a disconnect") {
            val events = endedBySelf(verb)
            events.map { it.event::class.simpleName } shouldBe listOf("Forked", "Online", "Message", "Disconnected", "Exited")
            events.exited().summary() shouldBe "code=0 signal=null exitedAfterDisconnect=true reason=DISCONNECT"
            events.exited().stderr shouldContain "connected=false" // isConnected() in the worker, once its channel closed
        }
    }

    test("a worker's exit(137) through jcluster is reported as code 137, not as KILL") {
        endedBySelf("api-exit:137").exited().summary() shouldBe "code=137 signal=null exitedAfterDisconnect=false reason=CRASH"
    }

    test("a worker's exit(0) through jcluster is reported as EXITED") {
        endedBySelf("api-exit:0").exited().summary() shouldBe "code=0 signal=null exitedAfterDisconnect=false reason=EXITED"
    }

    test("a real kill -9 of a worker is still reported as KILL") {
        withCluster(testSettings("idle")) { primary, log ->
            val worker = primary.fork()
            log.await<WorkerEvent.Online>(worker)
            ProcessBuilder("kill", "-9", worker.pid.toString()).start().waitFor()
            log.awaitGone(worker).exited().summary() shouldBe "code=null signal=KILL exitedAfterDisconnect=false reason=SIGNAL"
        }
    }

    test("a raw System.exit(137) reads as KILL: the documented limit") {
        withCluster(testSettings("exit:137")) { primary, log ->
            log.awaitGone(primary.fork()).exited().summary() shouldBe "code=null signal=KILL exitedAfterDisconnect=false reason=SIGNAL"
        }
    }
})
