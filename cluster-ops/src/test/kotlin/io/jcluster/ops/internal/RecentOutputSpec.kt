package io.jcluster.ops.internal

import io.jcluster.OutputLine
import io.jcluster.WorkerOutput.Stream.STDERR
import io.jcluster.WorkerOutput.Stream.STDOUT
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit

/** The control plugin's memory of the workers' output: bounded per worker and in exited workers, in order, followable. */
class RecentOutputSpec : FunSpec({
    timeout = 10_000

    test("keeps the last lines of each worker, merges them in the order printed, cuts long lines") {
        val recent = RecentOutput(perWorker = 3)
        (1..5).forEach { recent.line(1, STDOUT, "one $it") }
        recent.line(2, STDERR, "two")
        recent.line(1, STDOUT, "x".repeat(10_000))
        recent.tail(1, 10).first.map { it.text.take(6) } shouldBe listOf("one 4", "one 5", "xxxxxx")
        recent.tail(1, 10).first.last().text.length shouldBe 8192
        recent.tail(null, 2).first.map { it.worker } shouldBe listOf(2, 1)
        recent.tail(2, 10).first shouldBe listOf(OutputLine(2, "two", stderr = true))
    }

    test("keeps the lines of the last exited workers only") {
        val recent = RecentOutput(keptExited = 2)
        (1..4).forEach { recent.line(it, STDOUT, "w$it") }
        (1..3).forEach { recent.exited(it) }
        recent.workers() shouldBe setOf(2, 3, 4)
    }

    test("a follower gets the lines after its cursor, waking when one comes, and nothing after a quiet wait") {
        val recent = RecentOutput()
        recent.line(1, STDOUT, "before")
        val (_, cursor) = recent.tail(1, 10)
        recent.after(1, cursor, 50) shouldBe (emptyList<OutputLine>() to cursor)
        val waiting = CompletableFuture.supplyAsync { recent.after(null, cursor, 5_000) }
        recent.line(2, STDOUT, "after")
        val (lines, next) = waiting.get(5, TimeUnit.SECONDS)
        lines shouldBe listOf(OutputLine(2, "after"))
        recent.after(null, next, 0).first shouldBe emptyList()
    }
})
