package io.jcluster

import io.jcluster.WorkerEvent.Message
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.lang.management.ManagementFactory
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

    test("processorsPerWorker: the worker counts that many processors and keeps the primary's collector; unset, it counts them all") {
        // No collector in jvmArgs (testSettings' QUICK_BOOT names one): the primary's is the one to keep.
        withCluster(testSettings("greet").copy(processorsPerWorker = 1, jvmArgs = emptyList())) { primary, log ->
            val shared = log.greetingOf(primary.fork())
            shared.processors shouldBe 1
            shared.collectors shouldBe ManagementFactory.getGarbageCollectorMXBeans().map { it.name } // not the serial collector one processor would get
            primary.setup { it.copy(processorsPerWorker = null) }
            log.greetingOf(primary.fork()).processors shouldBe Runtime.getRuntime().availableProcessors()
        }
    }

    test("processorsPerWorker gives way to the count or the collector the jvmArgs set") {
        val flags = testSettings("greet").jvmArgs + listOf("-XX:ActiveProcessorCount=3")
        withCluster(testSettings("greet").copy(processorsPerWorker = 1, jvmArgs = flags)) { primary, log ->
            log.greetingOf(primary.fork()).processors shouldBe 3
        }
        val serial = testSettings("greet").jvmArgs + listOf("-XX:+UseSerialGC")
        withCluster(testSettings("greet").copy(processorsPerWorker = 1, jvmArgs = serial)) { primary, log ->
            log.greetingOf(primary.fork()).collectors shouldBe listOf("Copy", "MarkSweepCompact")
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
