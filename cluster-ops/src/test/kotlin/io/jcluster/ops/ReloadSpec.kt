package io.jcluster.ops

import io.jcluster.PrimaryEvent
import io.jcluster.dslTestConfig
import io.jcluster.startCluster
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.shouldBe
import java.nio.file.Files
import kotlin.io.path.writeText
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.last
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.withTimeout

/**
 * `Plugins.reload(paths)` on a primary in this JVM with two real worker JVMs ([DslTestWorker]): a file
 * written into the watched directory replaces the workers, a burst of files makes one reload, and an
 * editor's swap file none; the watch ends with the cluster.
 */
class ReloadSpec : FunSpec({
    timeout = 240_000

    test("a change replaces every worker; a burst makes one reload; a swap file none; closing ends the watch") {
        val dir = Files.createTempDirectory("jcluster-reload")
        // A second of quiet, not the default 300 ms: on a loaded machine the burst below must stay one burst.
        val plugin = Plugins.reload(listOf(dir), quietPeriod = 1.seconds)
        val cluster = startCluster("test") { dslTestConfig(); use(plugin) }
        suspend fun reload(n: Int) = withTimeout(90.seconds) { plugin.reloads.take(n).last() } // the n-th, replayed if done
        fun pids() = cluster.primary.activeWorkers().map { it.pid }.toSet()
        try {
            withTimeout(60.seconds) { cluster.events.first { it == PrimaryEvent.Listening } }
            val first = pids()

            dir.resolve("App.class").writeText("v2")
            reload(1) shouldBe ReloadPlugin.Reloaded(dir.resolve("App.class"), 1, null)
            val second = pids()
            second shouldHaveSize 2
            second.intersect(first).shouldBeEmpty()
            first.filter { pid -> ProcessHandle.of(pid!!).map { it.isAlive }.orElse(false) }.shouldBeEmpty()

            repeat(10) { dir.resolve("Burst$it.class").writeText("v3") }
            reload(2) shouldBe ReloadPlugin.Reloaded(dir.resolve("Burst0.class"), 10, null)
            val third = pids()
            third shouldHaveSize 2
            third.intersect(second).shouldBeEmpty()

            // Had the swap file counted, it would have started this burst (or one of its own).
            dir.resolve(".App.class.swp").writeText("swap")
            dir.resolve("Other.class").writeText("v4")
            reload(3) shouldBe ReloadPlugin.Reloaded(dir.resolve("Other.class"), 1, null)
            pids() shouldHaveSize 2
            cluster.events.replayCache.count { it is PrimaryEvent.Restarting } shouldBe 3

            cluster.close()
            Thread.getAllStackTraces().keys.filter { it.name == "jcluster-reload-watch" && it.isAlive }.shouldBeEmpty()
            dir.resolve("Late.class").writeText("after close")
            delay(2.seconds) // nothing to wait for: a reload now would be a bug
            plugin.reloads.replayCache shouldHaveSize 3
        } finally {
            cluster.destroy()
            dir.toFile().deleteRecursively()
        }
    }
})
