package io.jcluster

import io.jcluster.internal.MemoryShare
import io.jcluster.internal.WorkerCommands
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
})
