package io.jcluster.run

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.isActive
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds

/**
 * The cluster's life around an unmodified app (the JDK's `HttpServer`): status on the control socket,
 * a killed worker replaced, a reload under load that loses nothing, and `TERM` that ends it all with 0;
 * and a request that a busy app had accepted but not read when its worker stopped, answered all the same.
 */
class RunLifecycleSpec : FunSpec({
    timeout = 4.minutes.inWholeMilliseconds

    test("status lists the workers; kill -9 gets a replacement serving; HUP under load loses nothing; TERM exits 0, leaving no process") {
        RunProcess.start(listOf("--workers", "2"), RunProcess.app("http", "0")).use { run ->
            val port = run.listeningPorts(workers = 2).toSet().single()
            val first = RunProcess.pidsAnswering(port, count = 2)
            run.control("status").let { status -> first.forEach { pid -> status shouldContain pid } }

            ProcessHandle.of(first.first().toLong()).get().destroyForcibly()
            run.await(3) { "] listening " in it }
            withTimeout(30.seconds) { while (RunProcess.pidsAnswering(port, 2).any { it in first && it == first.first() }) delay(100.milliseconds) }

            val (served, failed) = underLoad(port) {
                run.signal("HUP")
                run.await(5) { "] listening " in it } // two more, after the replacement's
                run.await(2) { "] stopping " in it } // the two reloaded ones (the killed one printed nothing)
            }
            withClue("served $served") { failed shouldBe emptyList() }

            val children = run.descendants()
            run.signal("TERM")
            run.awaitExit() shouldBe 0
            children.filter { it.isAlive } shouldHaveSize 0
        }
    }

    test("a request the app accepted but had not read when its worker was told to stop is answered") {
        // The app reads a request 1.5 s after accepting it, and its shutdown closes what it has not read.
        RunProcess.start(listOf("--workers", "1"), RunProcess.app("lazy", "0")).use { run ->
            val port = run.listeningPorts(workers = 1).single()
            val answer = async(Dispatchers.IO) { runCatching { RunProcess.get(port) } }
            run.await { " accepted " in it }
            run.signal("TERM") // the worker's disconnect comes while the request waits unread
            val failure = answer.await().exceptionOrNull()
            withClue("the answer to the request accepted before the stop") { failure shouldBe null }
            run.awaitExit() shouldBe 0
        }
    }

    test("stats count the connections each worker's app accepted, as its requests") {
        RunProcess.start(listOf("--workers", "2"), RunProcess.app("channel", "0")).use { run ->
            val port = run.listeningPorts(workers = 2).toSet().single()
            repeat(20) { RunProcess.get(port) } // a connection each
            // The heartbeat carries the count: the cluster's total reaches 20.
            io.kotest.assertions.withClue({ "stats: ${runCatching { run.control("stats") }.getOrDefault("")}" }) {
                withTimeout(30.seconds) {
                    while (Regex("\"requests\":(\\d+)").findAll(run.control("stats")).maxOfOrNull { it.groupValues[1].toLong() }.let { it == null || it < 20 }) delay(200.milliseconds)
                }
            }
        }
    }
})

private fun withClue(clue: String, block: () -> Unit) = io.kotest.assertions.withClue(clue, block)

/** Runs [during] while one client loop keeps asking [port]; the requests served and failed meanwhile. */
private suspend fun underLoad(port: Int, during: suspend () -> Unit): Pair<Int, List<String>> = coroutineScope {
    val served = AtomicInteger()
    val failed = java.util.concurrent.ConcurrentLinkedQueue<String>()
    val load = async(Dispatchers.IO) {
        while (isActive) runCatching { RunProcess.get(port) }.onSuccess { served.incrementAndGet() }.onFailure { failed += it.toString() }
    }
    try {
        during()
        withContext(Dispatchers.IO) { delay(500.milliseconds) }
    } finally {
        load.cancel()
    }
    served.get() to failed.toList()
}
