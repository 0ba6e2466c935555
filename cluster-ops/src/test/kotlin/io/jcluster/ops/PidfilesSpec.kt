package io.jcluster.ops

import io.jcluster.Signal
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.shouldBe
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.listDirectoryEntries
import kotlin.io.path.name
import kotlin.io.path.readText

/**
 * `Plugins.pidfiles(dir)` on a real primary ([OpsTestPrimary]): the files name the processes that
 * run, after a worker is killed and respawned too, and none is left once the primary has closed.
 */
class PidfilesSpec : FunSpec({
    timeout = 120_000

    test("master.pid and worker.<id>.pid are true after a respawn, and gone after close") {
        val dir = Files.createTempDirectory("jcluster-pids")
        try {
            OpsProcess.start(mapOf("OPS_PIDFILES" to dir.toString())).use { primary ->
                primary.awaitListening()
                dir.pidFiles() shouldBe mapOf("master.pid" to primary.pid) + primary.liveWorkers().map { (id, pid) -> "worker.$id.pid" to pid }

                val (victim, victimPid) = primary.liveWorkers().entries.first()
                ProcessHandle.of(victimPid).orElseThrow().destroyForcibly()
                primary.await { it.startsWith("EXITED $victim ") }
                primary.await(3) { it.startsWith("READY") } // the replacement
                val live = primary.liveWorkers()
                live.keys.contains(victim) shouldBe false
                dir.pidFiles() shouldBe mapOf("master.pid" to primary.pid) + live.map { (id, pid) -> "worker.$id.pid" to pid }
                live.values.filterNot { pid -> ProcessHandle.of(pid).map { it.isAlive }.orElse(false) }.shouldBeEmpty()

                primary.signal(Signal.TERM)
                primary.awaitExit() shouldBe 0
                dir.listDirectoryEntries().shouldBeEmpty()
            }
        } finally {
            dir.toFile().deleteRecursively()
        }
    }
})

/** The pid files in this directory, by name, and the pid each holds. */
private fun Path.pidFiles(): Map<String, Long> = listDirectoryEntries().associate { it.name to it.readText().trim().toLong() }
