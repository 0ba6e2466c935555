package io.jcluster

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.longs.shouldBeLessThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldMatch
import io.kotest.matchers.string.shouldNotContain
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.mapNotNull
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.net.BindException
import java.net.InetAddress
import java.net.ServerSocket
import java.net.Socket
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration.Companion.seconds

/**
 * The primary binds every `listen(…)` address before it forks (gunicorn's arbiter): a port in use or
 * a privileged one fails at once, in one line naming the address (and the process holding it), and
 * no worker starts; a port it could bind is the very socket its workers then serve on, under every
 * sharing strategy.
 */
class FailFastBindSpec : FunSpec({
    timeout = 120_000

    for (strategy in SharingStrategy.entries) test("under $strategy a port in use fails startCluster in under 2 s, in one line naming the port and its holder, and forks nothing") {
        ServerSocket(0, 50, InetAddress.getLoopbackAddress()).use { taken ->
            val port = taken.localPort
            val calls = AtomicInteger()
            val counting = object : ClusterPlugin {
                override val name = "counting"
                override fun onStarting(cluster: ManagedCluster) { calls.incrementAndGet() }
                override fun beforeFork(cluster: ManagedCluster, slot: Int?) { calls.incrementAndGet() }
                override fun afterFork(cluster: ManagedCluster, worker: Worker) { calls.incrementAndGet() }
            }
            val childrenBefore = ProcessHandle.current().children().map { it.pid() }.toList().toSet()
            val started = System.nanoTime()
            val failure = shouldThrow<BindException> {
                startCluster("test") { fixedPortConfig(port, strategy); use(counting) }
            }
            (System.nanoTime() - started) / 1_000_000 shouldBeLessThan 2_000
            val message = failure.message!!
            message shouldNotContain "\n"
            message shouldContain "127.0.0.1:$port"
            message shouldContain "in use"
            message shouldContain "pid ${ProcessHandle.current().pid()}" // this JVM holds it
            calls.get() shouldBe 0
            ProcessHandle.current().children().filter { it.pid() !in childrenBefore }.toList().shouldBeEmpty()
        }
    }

    for (strategy in SharingStrategy.entries) {
        test("under $strategy the workers serve on the port the primary bound before forking") {
            val port = ServerSocket(0, 50, InetAddress.getLoopbackAddress()).use { it.localPort }
            val cluster = startCluster("test") { fixedPortConfig(port, strategy) }
            try {
                // The primary holds the port before any worker listens: a second bind is refused now. (Not under
                // reuse-port: the primary's reservation does not listen, and SO_REUSEADDR binds beside it until a worker does.)
                if (strategy != SharingStrategy.REUSE_PORT) shouldThrow<BindException> { ServerSocket(port, 50, InetAddress.getLoopbackAddress()).close() }
                val reports = withTimeout(60.seconds) {
                    cluster.primary.events.filterIsInstance<WorkerEvent.Message>().mapNotNull { it.payload as? DslReport }.take(2).toList()
                }
                reports.map { it.ports.single() }.toSet() shouldBe setOf(port)
                val answer = withContext(Dispatchers.IO) {
                    Socket("127.0.0.1", port).use { it.getInputStream().bufferedReader().readLine() }
                }
                answer.toInt() shouldBeGreaterThan 0
                shouldThrow<BindException> { ServerSocket(port, 50, InetAddress.getLoopbackAddress()).close() }
            } finally {
                cluster.destroy()
            }
        }
    }

    test("a privileged port fails the cluster() main in one line, with a non-zero exit and no worker").config(enabled = canDropPrivileges()) {
        val scratch = Files.createTempDirectory("jcluster-failfast")
        try {
            val classpath = copyClasspathFor(scratch)
            val process = ProcessBuilder(
                asNobody + listOf(
                    ProcessHandle.current().info().command().orElseThrow(), *io.jcluster.ipc.Ipc.jvmFlags.toTypedArray(),
                    "-Djava.io.tmpdir=$scratch", "-Dkotlin-logging.logStartupMessage=false", "-cp", classpath, FailFastPrimary::class.java.name, "80",
                ),
            ).redirectErrorStream(true).start()
            try {
                val output = withContext(Dispatchers.IO) { process.inputStream.bufferedReader().readLines() }
                withContext(Dispatchers.IO) { process.waitFor(30, TimeUnit.SECONDS) } shouldBe true
                output.filter { it.isNotBlank() } shouldHaveSize 1
                output.single { it.isNotBlank() } shouldMatch Regex("jcluster: cannot listen on 127.0.0.1:80: Permission denied.*")
                process.exitValue() shouldBe Supervision.CANNOT_BOOT
            } finally {
                process.descendants().forEach { it.destroyForcibly() }
                process.destroyForcibly()
            }
        } finally {
            scratch.toFile().deleteRecursively()
        }
    }
})
