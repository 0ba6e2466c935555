package io.jcluster

import io.jcluster.WorkerEvent.Disconnected
import io.jcluster.WorkerEvent.Exited
import io.jcluster.WorkerEvent.Forked
import io.jcluster.WorkerEvent.Message
import io.jcluster.WorkerEvent.Online
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.collections.shouldContainExactlyInAnyOrder
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.maps.shouldNotContainKey
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.launch
import java.nio.file.Files

/**
 * A worker's life as its primary sees it (Node's test-cluster-worker-events, -worker-isdead,
 * -worker-isconnected): the order of its events, and its state, flags and registration at each.
 * The [EventLog] takes each snapshot inside the primary's emit, so the states are exact.
 */
class LifecycleSpec : FunSpec({
    timeout = 20_000

    test("fork emits Forked then Online, once each, with the worker in that state at each") {
        withCluster(testSettings("idle")) { primary, log ->
            val worker = primary.fork()
            log.await<Online>(worker)
            worker.disconnect()
            val seen = log.awaitGone(worker)

            seen shouldHaveSize 4
            seen.take(2).map { it.event::class } shouldContainExactly listOf(Forked::class, Online::class)
            seen.drop(2).map { it.event::class } shouldContainExactlyInAnyOrder listOf(Disconnected::class, Exited::class)
            seen.once<Forked>().state shouldBe WorkerState.Forked
            seen.once<Online>().state shouldBe WorkerState.Online
        }
    }

    test("a worker is online once its JVM announces itself, before its runtime connects; what is sent to it then arrives once it has") {
        val scratch = Files.createTempDirectory("jcluster-gate")
        try {
            val gate = scratch.resolve("gate")
            ProcessBuilder("mkfifo", gate.toString()).start().waitFor() shouldBe 0
            val settings = testSettings("announce-then-echo").let { it.copy(environment = it.environment + ("TEST_GATE" to gate.toString())) }
            withCluster(settings) { primary, log ->
                val worker = primary.fork()
                log.await<Online>(worker) // it waits at the gate: only its announcement can have said so
                worker.state.value shouldBe WorkerState.Online
                coroutineScope {
                    val pong = async { log.await<Message>(worker) { it.payload == Pong(7, worker.id) } }
                    launch { worker.send(Ping(7)) } // waits for the link its hello brings
                    Files.writeString(gate, "go\n")
                    pong.await()
                }
                log.all.count { it.event is Online } shouldBe 1
            }
        } finally {
            scratch.toFile().deleteRecursively()
        }
    }

    test("worker ids count from 1 and are never reused, even once the registry is empty") {
        withCluster(testSettings("idle")) { primary, log ->
            val first = listOf(primary.fork(), primary.fork())
            first.map { it.id } shouldContainExactly listOf(1, 2)
            first.forEach { log.await<Online>(it) }
            primary.disconnect()
            primary.workers.value shouldBe emptyMap()

            val next = primary.fork()
            next.id shouldBe 3
            log.await<Forked>(next).worker.id shouldBe 3
        }
    }

    test("isConnected and isDead follow the lifecycle as in Node: connected from the fork, then disconnected, dead") {
        withCluster(testSettings("idle")) { primary, log ->
            val worker = primary.fork()
            (worker.isConnected() to worker.isDead()) shouldBe (true to false)
            log.await<Online>(worker)
            worker.disconnect()
            val seen = log.awaitGone(worker)

            val flags = { at: Seen -> "connected=${at.connected} dead=${at.dead}" }
            flags(seen.once<Forked>()) shouldBe "connected=true dead=false"
            flags(seen.once<Online>()) shouldBe "connected=true dead=false"
            val disconnected = seen.once<Disconnected>()
            val exited = seen.once<Exited>()
            val exitedFirst = seen.indexOf(exited) < seen.indexOf(disconnected)
            flags(disconnected) shouldBe "connected=false dead=$exitedFirst"
            flags(exited) shouldBe "connected=false dead=true"
            (worker.isConnected() to worker.isDead()) shouldBe (false to true)
        }
    }

    test("a worker leaves workers only after both Disconnected and Exited, whichever comes first") {
        withCluster(testSettings("idle")) { primary, log ->
            val disconnected = primary.fork()
            val killed = primary.fork()
            listOf(disconnected, killed).forEach { log.await<Online>(it) }
            disconnected.disconnect()
            killed.kill(Signal.KILL)

            for (worker in listOf(disconnected, killed)) {
                val seen = log.awaitGone(worker)
                withClue("$worker: registered at each of $seen") {
                    seen.map { it.registered } shouldBe List(seen.size) { true }
                    seen.map { it.event::class } shouldContainExactlyInAnyOrder
                        listOf(Forked::class, Online::class, Disconnected::class, Exited::class)
                }
                primary.workers.value shouldNotContainKey worker.id
            }
        }
    }
})
