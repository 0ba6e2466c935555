package io.jcluster

import io.jcluster.WorkerEvent.Message
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.nio.file.Files
import java.nio.file.Path

/** What a worker is started with (Node's test-cluster-fork-env, -cwd, -setup-primary-emit). */
class SettingsSpec : FunSpec({
    timeout = 20_000

    /** The [Greeting] [worker] sent. */
    suspend fun EventLog.greetingOf(worker: Worker): Greeting = await<Message>(worker) { it.payload is Greeting }.payload as Greeting

    test("a worker gets the settings' environment, fork's environment over it, and the working directory") {
        val directory = Files.createTempDirectory("jcluster-cwd")
        try {
            val settings = testSettings("greet").let {
                it.copy(environment = it.environment + ("GREETING" to "from settings"), workingDirectory = directory)
            }
            withCluster(settings) { primary, log ->
                val worker = primary.fork(mapOf("GREETING" to "hi"))
                val greeting = log.greetingOf(worker) // that it greets at all says TEST_BEHAVIOUR came from the settings
                greeting.env shouldBe "hi"
                Path.of(greeting.cwd).toRealPath() shouldBe directory.toRealPath()
            }
        } finally {
            directory.toFile().deleteRecursively()
        }
    }

    test("setup emits Setup with the new settings, which only later forks get") {
        val settings = testSettings("greet").let { it.copy(environment = it.environment + ("GREETING" to "old")) }
        withCluster(settings) { primary, log ->
            val earlier = primary.fork()
            val changed = primary.setup { it.copy(environment = it.environment + ("GREETING" to "new")) }
            val later = primary.fork()

            changed.environment["GREETING"] shouldBe "new"
            primary.settings shouldBe changed
            (log.all.once<Setup>().event as Setup).settings shouldBe changed
            log.greetingOf(earlier).env shouldBe "old"
            log.greetingOf(later).env shouldBe "new"
        }
    }
})
