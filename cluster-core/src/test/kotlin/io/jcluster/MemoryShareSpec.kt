package io.jcluster

import io.jcluster.internal.MemoryShare
import io.jcluster.internal.ProcessorShare
import io.jcluster.internal.UserJvmOptions
import io.jcluster.internal.WorkerCommands
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainAll
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.shouldBe
import java.nio.file.Path
import java.util.Locale

/** Each worker's share of the memory: the JVM's default percentages split across the workers and the standbys. */
class MemoryShareSpec : FunSpec({
    test("2 workers of 1 processor each and 1 standby: three JVMs split the JVM's percentages") {
        MemoryShare.flags(processorsPerWorker = 1, standbys = 1, jvmArgs = emptyList(), processors = 2) shouldBe
            listOf("-XX:MaxRAMPercentage=8.3333", "-XX:MinRAMPercentage=16.6667", "-XX:InitialRAMPercentage=0.5208")
    }

    test("the count of workers is the processors over each one's share, rounded up; no standby, no extra share") {
        MemoryShare.flags(processorsPerWorker = 2, standbys = 0, jvmArgs = emptyList(), processors = 8).first() shouldBe "-XX:MaxRAMPercentage=6.25"
        MemoryShare.flags(processorsPerWorker = 2, standbys = 0, jvmArgs = emptyList(), processors = 3).first() shouldBe "-XX:MaxRAMPercentage=12.5"
    }

    test("a worker alone keeps the JVM's own sizing") {
        MemoryShare.flags(processorsPerWorker = 4, standbys = 0, jvmArgs = emptyList(), processors = 4).shouldBeEmpty()
    }

    test("an option that sizes the largest heap leaves the share only the starting heap") {
        listOf("-Xmx512m", "-XX:MaxHeapSize=1g", "-XX:MaxRAMPercentage=50", "-XX:MinRAMPercentage=20", "-XX:MaxRAMFraction=2").forEach { option ->
            MemoryShare.flags(1, 1, listOf("-Dx=y", option), processors = 2) shouldBe listOf("-XX:InitialRAMPercentage=0.5208")
        }
    }

    test("an option that sizes the starting heap leaves the share only the largest one") {
        listOf("-Xms16m", "-XX:InitialHeapSize=1g", "-XX:InitialRAMPercentage=5", "-XX:MinHeapSize=8m").forEach { option ->
            MemoryShare.flags(1, 1, listOf(option), processors = 2) shouldBe listOf("-XX:MaxRAMPercentage=8.3333", "-XX:MinRAMPercentage=16.6667")
        }
    }

    test("options that size both heaps, or the memory the JVM sees, mean the user chose: nothing is added") {
        MemoryShare.flags(1, 1, listOf("-Xms64m", "-Xmx512m"), processors = 2).shouldBeEmpty()
        MemoryShare.flags(1, 1, listOf("-XX:MaxRAM=4g"), processors = 2).shouldBeEmpty()
    }

    test("the percentages have a dot in every locale (the JVM would not start with a comma)") {
        val before = Locale.getDefault()
        try {
            Locale.setDefault(Locale.GERMANY)
            MemoryShare.flags(1, 1, emptyList(), processors = 2).first() shouldBe "-XX:MaxRAMPercentage=8.3333"
        } finally {
            Locale.setDefault(before)
        }
    }

    test("a worker's command carries its share when processorsPerWorker is set, and none when it is not") {
        val commands = WorkerCommands({ Path.of("/nowhere/control.sock") }, null)
        val settings = ClusterSettings(mainClass = "Main", jvmArgs = emptyList(), processorsPerWorker = 1, supervision = Supervision(standby = 1))
        val share = MemoryShare.flags(1, 1, emptyList())
        if (share.isNotEmpty()) commands.spec(1, "t", settings, emptyMap()).command shouldContainAll share
        commands.spec(1, "t", settings.copy(processorsPerWorker = null), emptyMap()).command.none { it.contains("RAMPercentage") } shouldBe true
    }

    test("the options at the head of javaArgs (jcluster run's) are the user's too: the worker JVM starts with their collector and heap") {
        // Another collector than the primary's: before, the worker got the primary's beside it, and the JVM refused to start.
        val collector = if (ProcessorShare.primaryCollector == "-XX:+UseParallelGC") "-XX:+UseSerialGC" else "-XX:+UseParallelGC"
        val settings = ClusterSettings(
            mainClass = "", jvmArgs = emptyList(), processorsPerWorker = 1, supervision = Supervision(standby = 1),
            javaArgs = listOf("-cp", "/nowhere", collector, "-Xmx64m", "-Xms16m", "-version"),
        )
        val command = WorkerCommands({ Path.of("/nowhere/control.sock") }, null).spec(1, "t", settings, emptyMap()).command
        command.filter { it.matches(Regex("-XX:\\+Use\\w+GC")) } shouldBe listOf(collector)
        command.none { it.contains("RAMPercentage") } shouldBe true
        val java = ProcessBuilder(command).redirectErrorStream(true).start()
        val output = java.inputStream.bufferedReader().readText()
        withClue(output) { java.waitFor() shouldBe 0 }
    }

    test("a java command line's options end at its main class, -jar or -m; an option's value is not a main class") {
        UserJvmOptions.optionsOf(listOf("-cp", "a.jar", "-XX:+UseSerialGC", "Main", "-Xmx1g")) shouldBe listOf("-cp", "a.jar", "-XX:+UseSerialGC")
        UserJvmOptions.optionsOf(listOf("-Xmx1g", "-jar", "app.jar", "-XX:+UseSerialGC")) shouldBe listOf("-Xmx1g")
        UserJvmOptions.optionsOf(listOf("-ea", "-m", "app/app.Main")) shouldBe listOf("-ea")
    }
})
