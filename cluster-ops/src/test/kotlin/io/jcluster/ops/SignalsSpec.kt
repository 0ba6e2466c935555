package io.jcluster.ops

import io.jcluster.ProcStat
import io.jcluster.Signal
import io.jcluster.SignalAction
import io.jcluster.SignalMap
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.collections.shouldContainAll
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.collections.shouldNotContain
import io.kotest.matchers.ints.shouldBeInRange
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldNotContain
import java.net.InetSocketAddress
import java.nio.channels.SocketChannel

/**
 * The signals of a `cluster { }` primary, sent with `kill -s` to a real primary ([OpsTestPrimary]) in a
 * JVM of its own, with real workers: each default does what docs/operations.md's signal table says, a burst of 50
 * `HUP`s leaves a healthy cluster, the map can be changed, and the two ways a handler never runs are reported.
 */
class SignalsSpec : FunSpec({
    timeout = 180_000

    test("TERM closes gracefully: the workers disconnect, the primary exits 0") {
        OpsProcess.start().use { primary ->
            primary.awaitListening()
            val workers = primary.liveWorkers()
            workers.size shouldBe 2
            primary.signal(Signal.TERM)
            primary.await("P Closing")
            primary.await("P Closed")
            primary.awaitExit() shouldBe 0
            primary.await(2) { it.startsWith("EXITED") }.map { it.split(' ')[3] }.toSet() shouldBe setOf("DISCONNECT")
            workers.values.filter { pid -> ProcessHandle.of(pid).map { it.isAlive }.orElse(false) }.shouldBeEmpty()
        }
    }

    test("INT destroys at once: no graceful close, the workers are killed, the primary exits 0") {
        OpsProcess.start().use { primary ->
            primary.awaitListening()
            val workers = primary.liveWorkers()
            primary.signal(Signal.INT)
            primary.await("P Closed")
            primary.awaitExit() shouldBe 0
            primary.output shouldNotContain "P Closing"
            primary.output.filter { it.startsWith("EXITED") && it.endsWith(" DISCONNECT") }.shouldBeEmpty()
            // Supervision stops before the kill: no worker it killed counts as a crash, nothing is respawned.
            primary.stderr shouldNotContain " died: "
            primary.stderr shouldNotContain "respawn in"
            // The primary waits for the workers it kills (and so reaps them): none is left once it is gone.
            workers.values.filter { pid -> ProcessHandle.of(pid).map { it.isAlive }.orElse(false) }.shouldBeEmpty()
        }
    }

    test("Ctrl-C signals the whole process group: the workers, in the primary's session, ignore it and close as the primary says") {
        // The primary leads a session and process group of its own, as a shell's foreground job does; INT closes gracefully.
        OpsProcess.start(environment = mapOf("OPS_SIGNALS" to "int-closes"), wrapper = listOf("setsid", "env", "--default-signal=INT")).use { primary ->
            primary.awaitListening()
            val workers = primary.liveWorkers()
            workers.size shouldBe 2
            for (pid in workers.values) {
                withClue("worker $pid") {
                    ProcStat.session(pid) shouldBe ProcStat.session(primary.pid)
                    ProcStat.ignoredSignals(pid) shouldContainAll setOf(Signal.INT, Signal.HUP)
                }
            }
            val kill = ProcessBuilder("kill", "-s", "INT", "--", "-${primary.pid}").inheritIO().start()
            kill.waitFor() shouldBe 0
            primary.await("P Closed")
            primary.awaitExit() shouldBe 0
            // Had the workers taken the INT themselves, they would have died of it (SIGNAL), not disconnected.
            primary.await(2) { it.startsWith("EXITED") }.map { it.split(' ')[3] }.toSet() shouldBe setOf("DISCONNECT")
        }
    }

    test("HUP, then USR2, each replace every worker without downtime") {
        OpsProcess.start().use { primary ->
            primary.awaitListening()
            for ((round, signal) in listOf(Signal.HUP, Signal.USR2).withIndex()) {
                val before = primary.liveWorkers().keys
                primary.signal(signal)
                primary.await(round + 1) { it == "P Restarted null" }
                val after = primary.liveWorkers().keys
                withClue("after SIG$signal") {
                    after shouldHaveSize 2
                    after.intersect(before).shouldBeEmpty()
                }
                primary.output.count { it.startsWith("EXITED") && it.endsWith(" RELOAD") } shouldBe 2 * (round + 1)
            }
            primary.servedBy(primary.liveWorkers().keys)
        }
    }

    test("TTIN adds a worker, TTOU retires one, and never the last") {
        OpsProcess.start(mapOf("OPS_WORKERS" to "1")).use { primary ->
            primary.awaitListening(1)
            primary.signal(Signal.TTIN)
            primary.await("P WorkersChanged 1 2")
            primary.await(2) { it.startsWith("READY") }
            primary.liveWorkers().keys shouldHaveSize 2
            primary.signal(Signal.TTOU)
            primary.await("P WorkersChanged 2 1")
            primary.await(1) { it.startsWith("EXITED") && it.endsWith(" SCALE_DOWN") }
            primary.liveWorkers().keys shouldHaveSize 1
            primary.signal(Signal.TTOU) // the last worker stays: refused and logged, nothing changes
            primary.awaitStderr("SIGTTOU (retire one) failed")
            primary.output shouldNotContain "P WorkersChanged 1 0"
            primary.servedBy(primary.liveWorkers().keys)
        }
    }

    test("USR1 has every plugin reopen its logs") {
        OpsProcess.start().use { primary ->
            primary.awaitListening()
            primary.signal(Signal.USR1)
            primary.await("REOPENED")
            primary.signal(Signal.USR1)
            primary.await(2) { it == "REOPENED" }
        }
    }

    test("a burst of 50 HUPs is coalesced and leaves a healthy cluster of 2 workers") {
        OpsProcess.start().use { primary ->
            primary.awaitListening()
            val burst = ProcessBuilder("bash", "-c", "for i in \$(seq 50); do kill -s HUP ${primary.pid} || exit 1; done").inheritIO().start()
            burst.waitFor() shouldBe 0
            // Each HUP the JVM saw (the kernel merges pending ones) starts a restart; all of them end
            // once the coalesced reloads are done, and every one succeeds.
            primary.awaitOutput { lines -> lines.count { it == "P Restarting" }.let { it > 0 && lines.count { line -> line.startsWith("P Restarted") } == it } }
            primary.output.filter { it.startsWith("P Restarted") }.toSet() shouldBe setOf("P Restarted null")
            withClue("reloads done for ${primary.output.count { it == "P Restarting" }} HUPs") {
                primary.output.count { it == "RELOAD" } shouldBeInRange 1..2
            }
            primary.liveWorkers().keys shouldHaveSize 2
            primary.servedBy(primary.liveWorkers().keys)
            primary.signal(Signal.TERM)
            primary.awaitExit() shouldBe 0
        }
    }

    test("the map can change: USR2 adds a worker instead of restarting") {
        OpsProcess.start(mapOf("OPS_SIGNALS" to "usr2-spawns", "OPS_WORKERS" to "1")).use { primary ->
            primary.awaitListening(1)
            primary.signal(Signal.USR2)
            primary.await("P WorkersChanged 1 2")
            primary.output shouldNotContain "P Restarting"
        }
    }

    test("an inherited ignored INT, and -Xrs, are reported at start") {
        OpsProcess.start(wrapper = listOf("env", "--ignore-signal=INT")).use { primary ->
            primary.awaitListening()
            primary.awaitStderr("SIGINT is ignored in this process")
        }
        OpsProcess.start(jvmFlags = listOf("-Xrs")).use { primary ->
            primary.awaitListening()
            primary.awaitStderr("this JVM runs with -Xrs")
        }
    }
})

/** Connects until every one of [ids] has answered (the workers share one port), at most 200 times. */
private fun OpsProcess.servedBy(ids: Set<Int>) {
    val port = output.last { it.startsWith("LISTENING") }.split(' ')[2].toInt()
    val seen = HashSet<Int>()
    repeat(200) {
        if (seen.containsAll(ids)) return
        SocketChannel.open(InetSocketAddress("127.0.0.1", port)).use { seen += it.socket().getInputStream().bufferedReader().readLine().toInt() }
    }
    withClue("workers that answered on port $port") { seen shouldBe ids }
}
