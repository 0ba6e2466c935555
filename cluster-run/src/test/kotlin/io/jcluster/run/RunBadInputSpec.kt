package io.jcluster.run

import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.net.InetSocketAddress
import java.nio.channels.ServerSocketChannel
import kotlin.time.Duration.Companion.minutes

/** Bad input to `jcluster run` or its agent: one line that says what to do, and nothing lost. */
class RunBadInputSpec : FunSpec({
    timeout = 4.minutes.inWholeMilliseconds

    suspend fun refused(options: List<String>, javaArgs: List<String>, expected: String) {
        RunProcess.start(options, javaArgs).use { run ->
            run.awaitExit() shouldBe 2
            val said = run.output.filter { it.startsWith("jcluster run: ") }
            said shouldHaveSize 1
            said.single() shouldContain expected
        }
    }

    test("round-robin is refused: it cannot cluster an unmodified app") {
        refused(listOf("--strategy", "round-robin"), RunProcess.app("channel", "0"), "round-robin cannot cluster an unmodified app")
    }

    test("malformed JAVA_ARGS: none, no main class, -jar of no file, -cp without a value") {
        refused(emptyList(), emptyList(), "no JAVA_ARGS")
        refused(emptyList(), listOf("-Xmx64m"), "name no main class")
        refused(emptyList(), listOf("-jar", "/nonexistent/app.jar"), "no such file")
        refused(emptyList(), listOf("-cp"), "-cp needs a value")
    }

    test("a malformed agent option says how to write one") {
        RunProcess.startJava(listOf("-javaagent:${RunProcess.agentJar}=workers") + RunProcess.app("channel", "0")).use { run ->
            run.awaitExit() shouldBe 2
            run.output.single { it.startsWith("jcluster: ") } shouldContain "malformed agent option 'workers'"
        }
    }

    test("a port taken: the app gets its own BindException, naming the address; the cluster gives up") {
        ServerSocketChannel.open().use { taken ->
            taken.bind(InetSocketAddress("127.0.0.1", 0))
            val port = taken.socket().localPort
            RunProcess.start(listOf("--workers", "1"), RunProcess.app("channel", port.toString())).use { run ->
                run.await { "java.net.BindException" in it && "127.0.0.1:$port" in it }
                run.awaitExit(2.minutes) shouldBe 69
            }
        }
    }

    test("an app that calls System.exit in main: the cluster fails, with the exit code") {
        RunProcess.start(listOf("--workers", "1"), RunProcess.app("exit")).use { run ->
            run.awaitExit(2.minutes) shouldBe 69
            run.output.joinToString("\n") shouldContain "code 3"
        }
    }

    test("an app that never listens: ready by --ready-when started; else refused after the boot timeout") {
        RunProcess.start(listOf("--workers", "1", "--ready-when", "started"), RunProcess.app("never")).use { run ->
            kotlinx.coroutines.withTimeout(30_000) {
                while (runCatching { run.control("status") }.getOrDefault("").contains("\"ready\":true").not()) kotlinx.coroutines.delay(100)
            }
        }
        RunProcess.start(listOf("--workers", "1", "--boot-timeout", "2"), RunProcess.app("never")).use { run ->
            run.awaitExit(2.minutes) shouldBe 69
        }
    }

    test("an app that forks processes of its own: they go when its worker does, killed or stopped") {
        val children = ArrayList<Long>() // killed in any case: a failed run must leave no orphan either
        try {
            RunProcess.start(listOf("--workers", "1"), RunProcess.app("fork", "0")).use { run ->
                val first = run.await { it.contains("child ") }.single().substringAfter("child ").trim().toLong().also { children += it }
                val worker = ProcessHandle.of(first).flatMap { it.parent() }.orElseThrow()
                worker.destroyForcibly()
                awaitGone(first)
                val second = run.await(2) { it.contains("child ") }.last().substringAfter("child ").trim().toLong().also { children += it }
                run.signal("TERM")
                run.awaitExit(2.minutes) shouldBe 0
                awaitGone(second)
            }
        } finally {
            children.forEach { pid -> ProcessHandle.of(pid).ifPresent { it.destroyForcibly() } }
        }
    }
})

/** Waits until the process [pid] has gone; fails after 30 s. */
private fun awaitGone(pid: Long) {
    val gone = ProcessHandle.of(pid).map { runCatching { it.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS) }.isSuccess }.orElse(true)
    withClue("process $pid still runs 30 s after its worker went") { gone shouldBe true }
}
