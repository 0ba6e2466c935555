package io.jcluster.ops

import io.jcluster.Signal
import io.jcluster.readLineWithin
import io.jcluster.underLoad
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldNotContainAnyOf
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import java.net.InetSocketAddress
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.listDirectoryEntries
import kotlin.io.path.name
import kotlin.io.path.readText
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.future.await
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout

/**
 * `SignalAction.UPGRADE` (bound to `USR2` here) on a real primary ([OpsTestPrimary]) under a stream of
 * connections ([underLoad]): the old primary starts a new one with its own command line, hands it the
 * listening socket, and exits once the new one's workers are ready, with no connection failed; the
 * pidfile moves. A new primary that exits at once (a bad setting) leaves the old one serving.
 */
class UpgradeSpec : FunSpec({
    timeout = 180_000

    test("an upgrade under a stream of connections fails none, and the new primary serves on alone") {
        val pids = Files.createTempDirectory("jcluster-pids")
        try {
            OpsProcess.start(mapOf("OPS_SIGNALS" to "usr2-upgrades", "OPS_PIDFILES" to "$pids")).use { old ->
                old.awaitListening()
                val port = old.port()
                val oldWorkers = old.liveWorkers()
                var newPid = 0L
                val outcome = underLoad(port, clients = 4) {
                    delay(300.milliseconds)
                    old.signal(Signal.USR2)
                    newPid = old.await { it.startsWith("P HandedOver ") }.single().split(' ')[2].toLong()
                    old.awaitExit() shouldBe 0
                    delay(300.milliseconds) // and connections after the old primary is gone
                }
                outcome.failures.shouldBeEmpty()
                outcome.answers shouldBeGreaterThan 50
                newPid shouldNotBe old.pid
                old.output shouldContainLine "PRIMARY $newPid"
                old.await("P TookOver ${old.pid}")
                // By pid: the old primary may exit before it printed its last worker's EXITED line.
                val newWorkers = old.liveWorkers().filterValues { pid -> ProcessHandle.of(pid).map { it.isAlive }.orElse(false) }
                newWorkers.keys shouldNotContainAnyOf oldWorkers.keys
                oldWorkers.values.filter { pid -> ProcessHandle.of(pid).map { it.isAlive }.orElse(false) }.shouldBeEmpty()
                withContext(Dispatchers.IO) { List(4) { readLineWithin(InetSocketAddress("127.0.0.1", port), 10_000) } }.toSet().forEach { id ->
                    newWorkers.keys shouldContainId id
                }
                pids.pidFiles() shouldBe mapOf("master.pid" to newPid) + newWorkers.map { (id, pid) -> "worker.$id.pid" to pid }

                val newPrimary = ProcessHandle.of(newPid).orElseThrow()
                newPrimary.destroy() // TERM: closes gracefully
                withTimeout(30.seconds) { newPrimary.onExit().await() }
                pids.listDirectoryEntries().shouldBeEmpty()
            }
        } finally {
            pids.toFile().deleteRecursively()
        }
    }

    test("a new primary that exits before it is ready is reported, and the old one serves on untouched") {
        val scratch = Files.createTempDirectory("jcluster-ops")
        val workersFile = scratch.resolve("workers")
        OpsProcess.start(mapOf("OPS_SIGNALS" to "usr2-upgrades", "OPS_WORKERS_FILE" to "$workersFile"), scratch = scratch).use { old ->
            old.awaitListening()
            val port = old.port()
            val workers = old.liveWorkers()
            Files.writeString(workersFile, "0\n") // the next primary's settings: workers = 0 is refused at start
            val outcome = underLoad(port, clients = 4) {
                delay(300.milliseconds)
                old.signal(Signal.USR2)
                old.await { it.startsWith("P UpgradeFailed") }
                delay(300.milliseconds)
            }
            outcome.failures.shouldBeEmpty()
            old.awaitStderr("upgrade failed: the new primary (pid ")
            old.stderr shouldContain "exited with code 1 before it was ready"
            old.liveWorkers() shouldBe workers
            withContext(Dispatchers.IO) { readLineWithin(InetSocketAddress("127.0.0.1", port), 10_000) }.let { workers.keys shouldContainId it }
            old.output.filter { it.startsWith("PRIMARY ") }.shouldBeSingle()
        }
    }
})

private fun OpsProcess.port(): Int = output.first { it.startsWith("LISTENING") }.split(' ')[2].toInt()

private infix fun List<String>.shouldContainLine(line: String) = (line in this) shouldBe true

private infix fun Set<Int>.shouldContainId(id: Int) = (id in this) shouldBe true

private fun List<String>.shouldBeSingle() = size shouldBe 1

/** The pid files in this directory, by name, and the pid each holds. */
private fun Path.pidFiles(): Map<String, Long> = listDirectoryEntries().associate { it.name to it.readText().trim().toLong() }
