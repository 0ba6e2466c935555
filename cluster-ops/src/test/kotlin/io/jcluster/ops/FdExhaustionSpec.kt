package io.jcluster.ops

import io.jcluster.FdTools
import io.jcluster.FdTools.KeepAlive
import io.jcluster.SharingStrategy
import io.jcluster.Signal
import io.jcluster.packagedClasspath
import io.kotest.assertions.fail
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.ints.shouldBeLessThan
import io.kotest.matchers.longs.shouldBeLessThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import java.net.InetSocketAddress
import java.net.UnixDomainSocketAddress
import java.nio.channels.SocketChannel
import java.nio.file.Files
import java.nio.file.Path
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.delay
import kotlinx.coroutines.withTimeout

/**
 * A primary that runs out of descriptors (its `RLIMIT_NOFILE` lowered at run time with `prlimit
 * --pid`, as an operator's or a leak's would be) while peers knock on each of its three accept loops:
 * the round-robin listener, the workers' control socket and the operators' control socket. Each loop
 * backs off and logs a few lines, not a flood; `/healthz` says admission is failing; and once the
 * limit is back, every loop accepts again (what waited in the backlogs too), a dead worker is
 * replaced, and TERM stops the primary. The primary runs from jars, as deployed: from class
 * directories, every class not loaded yet would need a descriptor of its own.
 */
class FdExhaustionSpec : FunSpec({
    timeout = 240_000

    test("fd exhaustion: the accept loops back off, log a few lines and recover; TERM still stops the primary") {
        val control = Files.createTempDirectory("jcluster-fd").resolve("ctl/control.sock")
        val environment = mapOf(SharingStrategy.ENVIRONMENT_VARIABLE to "round-robin", "FD_CONTROL" to control.toString())
        val scratch = Files.createTempDirectory("jcluster-ops")
        val classpath = packagedClasspath(scratch)
        OpsProcess.start(environment, scratch = scratch, main = FdTestPrimary::class.java.name, classpath = classpath).use { primary ->
            primary.awaitListening()
            val port = primary.await { it.startsWith("LISTENING ") }.first().split(' ')[2].toInt()
            val metrics = KeepAlive(primary.await { it.startsWith("METRICS ") }.single().split(' ')[1].toInt())
            metrics.get("/healthz").first shouldBe 200
            val workerSocket = FdTools.workerControlSocket(primary.liveWorkers().values.first())
            val (soft, hard) = FdTools.nofile(primary.pid)

            FdTools.exhaust(primary.pid)
            val waiting = SocketChannel.open(InetSocketAddress("127.0.0.1", port)) // queued in the listener's backlog
            val stranger = SocketChannel.open(UnixDomainSocketAddress.of(workerSocket)) // says no hello
            val request = FdTools.controlConnect(control, """{"command":"status"}""")
            primary.awaitLog("accept failed on round-robin listener 127.0.0.1:$port: Too many open files")
            primary.awaitLog("accept failed on worker control socket $workerSocket: Too many open files")
            primary.awaitLog("accept failed on control socket $control: Too many open files")
            withClue("/healthz while workers cannot be admitted") {
                val (status, body) = metrics.get("/healthz")
                status shouldBe 503
                body shouldContain "Too many open files"
            }
            delay(3.seconds) // the pressure lasts: each loop's pause grows to 1 s, and it logs no more
            println("FdExhaustionSpec: after ~4 s out of descriptors, ${primary.stderr.lines().count { "Too many open files" in it }} log lines name EMFILE; the log has ${primary.stderr.length} chars")
            withClue("the primary's log under fd pressure:\n${primary.stderr.takeLast(4000)}") {
                primary.stderr.lines().count { "Too many open files" in it } shouldBeLessThan 10
            }

            FdTools.setNofile(primary.pid, soft, hard)
            withClue("the control request that waited") { FdTools.readLine(request) shouldContain "\"ok\":true" }
            withClue("the round-robin connection that waited") { FdTools.readLine(waiting) shouldNotBe null }
            FdTools.askWorker(port) shouldNotBe null
            FdTools.control(control, """{"command":"status"}""") shouldContain "\"ok\":true"
            withTimeout(10.seconds) { while (metrics.get("/healthz").first != 200) delay(100.milliseconds) }
            primary.stderr shouldContain "accepting again on round-robin listener 127.0.0.1:$port"

            val victim = primary.liveWorkers().entries.first()
            ProcessHandle.of(victim.value).ifPresent { it.destroyForcibly() }
            primary.await { it.startsWith("EXITED ${victim.key} ") }
            withClue("a worker is admitted again") { primary.await(3) { it.startsWith("READY ") } }
            primary.liveWorkers().size shouldBe 2
            FdTools.askWorker(port) shouldNotBe null

            listOf(waiting, stranger, request, metrics).forEach { it.close() }
            primary.signal(Signal.TERM)
            primary.awaitExit() shouldBe 0
        }
        control.parent.parent.toFile().deleteRecursively()
    }

    test("TERM stops a primary that is out of descriptors, and its workers with it") {
        val control = Files.createTempDirectory("jcluster-fd").resolve("ctl/control.sock")
        val environment = mapOf(SharingStrategy.ENVIRONMENT_VARIABLE to "round-robin", "FD_CONTROL" to control.toString())
        val scratch = Files.createTempDirectory("jcluster-ops")
        OpsProcess.start(environment, scratch = scratch, main = FdTestPrimary::class.java.name, classpath = packagedClasspath(scratch)).use { primary ->
            primary.awaitListening()
            val port = primary.await { it.startsWith("LISTENING ") }.first().split(' ')[2].toInt()
            val workers = primary.liveWorkers().values
            FdTools.exhaust(primary.pid)
            val waiting = SocketChannel.open(InetSocketAddress("127.0.0.1", port))
            val request = FdTools.controlConnect(control, """{"command":"status"}""")
            primary.awaitLog("accept failed on round-robin listener 127.0.0.1:$port: Too many open files")
            primary.awaitLog("accept failed on control socket $control: Too many open files")
            primary.signal(Signal.TERM)
            withClue({ "the primary's log:\n${primary.stderr.takeLast(3000)}" }) { primary.awaitExit() }
            workers.filter { pid -> ProcessHandle.of(pid).map { it.isAlive }.orElse(false) } shouldBe emptyList()
            listOf(waiting, request).forEach { it.close() }
        }
        control.parent.parent.toFile().deleteRecursively()
    }
})

/**
 * Waits until the primary's log has [text]; fails at once if the log floods (an accept loop that
 * spins logs without end, and reading gigabytes of it would sink this JVM too).
 */
private suspend fun OpsProcess.awaitLog(text: String) {
    val log = scratch.resolve("primary.stderr")
    try {
        withTimeout(30.seconds) {
            while (true) {
                withClue("the primary's log, growing under fd pressure") { Files.size(log) shouldBeLessThan 100_000L }
                if (text in stderr) break
                delay(50.milliseconds)
            }
        }
    } catch (e: TimeoutCancellationException) {
        fail("waiting for \"$text\" on the primary's stderr; it ends:\n${stderr.takeLast(3000)}")
    }
}
