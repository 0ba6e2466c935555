package io.jcluster

import io.jcluster.WorkerEvent.Online
import io.jcluster.ipc.IpcClosedException
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain

/**
 * How a worker's end is reported (Node's test-cluster-worker-exit, -worker-kill, -worker-death,
 * -kill-infinite-loop): exit code or signal, whether it was intended, and why; and that a dead
 * worker refuses messages clearly.
 */
class ExitSpec : FunSpec({
    timeout = 20_000

    /** The fields of an [WorkerEvent.Exited] a spec compares, in one readable line. */
    fun WorkerEvent.Exited.summary() = "code=$code signal=$signal exitedAfterDisconnect=$exitedAfterDisconnect reason=$reason"

    test("a worker's own non-zero exit code is reported as a crash") {
        withCluster(testSettings("exit:7")) { primary, log ->
            val worker = primary.fork()
            log.awaitGone(worker).exited().summary() shouldBe "code=7 signal=null exitedAfterDisconnect=false reason=CRASH"
        }
    }

    test("a worker's own exit with code 0 is reported as EXITED") {
        withCluster(testSettings("exit:0")) { primary, log ->
            val worker = primary.fork()
            log.awaitGone(worker).exited().summary() shouldBe "code=0 signal=null exitedAfterDisconnect=false reason=EXITED"
        }
    }

    test("the signal that killed a worker is reported") {
        withCluster(testSettings("idle")) { primary, log ->
            val worker = primary.fork()
            log.await<Online>(worker)
            worker.kill(Signal.KILL)
            log.awaitGone(worker).exited().summary() shouldBe "code=null signal=KILL exitedAfterDisconnect=true reason=KILL"
        }
    }

    test("exitedAfterDisconnect is true after disconnect() and kill(), false after a crash") {
        withCluster(testSettings("idle")) { primary, log ->
            val disconnected = primary.fork()
            val killed = primary.fork()
            val crashed = primary.fork(mapOf("TEST_BEHAVIOUR" to "exit:3"))
            listOf(disconnected, killed).forEach { log.await<Online>(it) }
            disconnected.disconnect()
            killed.kill()

            val exits = listOf(disconnected, killed, crashed).map { log.awaitGone(it).exited() }
            exits.map { "${it.exitedAfterDisconnect} ${it.reason}" } shouldBe listOf("true DISCONNECT", "true KILL", "false CRASH")
            exits[0].code shouldBe 0
            exits[2].code shouldBe 3
            listOf(disconnected, killed, crashed).map { it.exitedAfterDisconnect } shouldBe listOf(true, true, false)
        }
    }

    test("kill() ends a worker stuck in an infinite loop, with TERM") {
        withCluster(testSettings("loop")) { primary, log ->
            val worker = primary.fork()
            log.await<WorkerEvent.Message>(worker) { it.payload == Ready(worker.id) }
            worker.kill()
            log.awaitGone(worker).exited().summary() shouldBe "code=null signal=TERM exitedAfterDisconnect=true reason=KILL"
        }
    }

    test("sending to a worker that has exited fails, saying so") {
        withCluster(testSettings("exit:3")) { primary, log ->
            val worker = primary.fork()
            log.awaitGone(worker)
            shouldThrow<IpcClosedException> { worker.send(Ping(1)) }.message shouldContain "has exited"
        }
    }
})
