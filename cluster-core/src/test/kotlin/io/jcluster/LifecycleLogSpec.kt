package io.jcluster

import io.jcluster.ipc.Ipc
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.collections.shouldContainAll
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.nio.file.Files
import java.util.concurrent.TimeUnit

/**
 * By default, with no plugin, the primary logs one line per lifecycle change on `io.jcluster.cluster`
 * at INFO (WARN for a worker that died, ERROR for a failed cluster): [LifecyclePrimary] forks two
 * workers, loses one, reloads, scales down and closes, and each change is in its log exactly once.
 */
class LifecycleLogSpec : FunSpec({
    timeout = 150_000

    test("forked, listening, died, respawn, exited, reload and scaled: each logged once") {
        val scratch = Files.createTempDirectory("jcluster-lifecycle")
        val stderr = scratch.resolve("stderr").toFile()
        val process = ProcessBuilder(
            listOf(ProcessHandle.current().info().command().orElseThrow()) + Ipc.jvmFlags +
                listOf("-cp", System.getProperty("java.class.path"), LifecyclePrimary::class.java.name),
        ).redirectError(stderr).start()
        try {
            val stdout = withContext(Dispatchers.IO) { process.inputStream.bufferedReader().readLines() }
            withContext(Dispatchers.IO) { process.waitFor(30, TimeUnit.SECONDS) } shouldBe true
            val logged = stderr.readLines().mapNotNull { it.substringAfter(" io.jcluster.cluster - ", "").ifEmpty { null } }
            withClue("stdout:\n${stdout.joinToString("\n")}\nlifecycle lines:\n${logged.joinToString("\n")}") {
                stdout shouldContain "DONE"
                val events = stdout.filter { it.startsWith("EVENT ") }.map { it.removePrefix("EVENT ").split(' ') }
                val expected = events.map(::expectedLine)
                expected.forEach { line -> logged.count { it.matches(line) } shouldBe 1 }
                logged.size shouldBe expected.size
                events.map { it[0] }.toSet() shouldContainAll setOf("forked", "listening", "exited", "respawn", "reload-started", "reload-finished", "scaled")
                logged.filter { it.startsWith("scaled: ") } shouldBe listOf("scaled: 0 -> 2 workers", "scaled: 2 -> 1 workers")
                logged.count { Regex("worker \\d+ died: signal, killed by SIGKILL").matches(it) } shouldBe 1
            }
        } finally {
            process.descendants().forEach { it.destroyForcibly() }
            process.destroyForcibly()
            scratch.toFile().deleteRecursively()
        }
    }

    test("a failed cluster is one line") {
        io.jcluster.internal.LifecycleLog().lineFor(ClusterFailed("workers cannot boot: exit code 78")) shouldBe
            "cluster failed: workers cannot boot: exit code 78"
    }
})

/** The log line [LifecyclePrimary]'s `EVENT` line [e] calls for, as a pattern. */
private fun expectedLine(e: List<String>): Regex = Regex.escape(
    when (e[0]) {
        "forked" -> "worker ${e[1]} forked: pid ${e[2]}" + if (e[3] == "null") "" else ", slot ${e[3]}"
        "listening" -> "worker ${e[1]} listening on ${e[2]}"
        "exited" -> "worker ${e[1]} ${if (e[2] == "true") "exited" else "died"}: ${e[3].lowercase().replace('_', ' ')}, " +
            if (e[5] != "null") "killed by SIG${e[5]}" else "exit code ${e[4]}"
        "respawn" -> "slot ${e[1]}: respawn in ${e[2]} ms (restart ${e[3]})"
        "reload-started" -> "reload started: ${e[1]} workers"
        "reload-finished" -> "reload finished: ${e[1]} replaced in "
        "scaled" -> "scaled: ${e[1]} -> ${e[2]} workers"
        else -> error("unknown event $e")
    },
).let { if (e[0] == "reload-finished") Regex("$it\\d+ ms") else Regex(it) }
