package io.jcluster.ops

import io.jcluster.ops.internal.ChangeBurst
import io.jcluster.ops.internal.PathWatcher
import io.jcluster.ops.internal.WatchedPaths
import io.jcluster.ops.internal.forEachBurst
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.test.runTest
import kotlinx.coroutines.withTimeout
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.io.path.createDirectories
import kotlin.io.path.writeText
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/**
 * The parts of [Plugins.reload] below the cluster: which files count ([WatchedPaths]), the watch on a
 * real directory tree ([PathWatcher]), and the bursts in virtual time ([forEachBurst]).
 */
@OptIn(ExperimentalCoroutinesApi::class) // testScheduler.currentTime: virtual time is the point
class FileWatchSpec : FunSpec({
    timeout = 60_000

    lateinit var dir: Path
    beforeTest { dir = Files.createTempDirectory("jcluster-watch") }
    afterTest { dir.toFile().deleteRecursively() }

    test("a tree counts files by extension, never editors' temporary files; a file given by itself always counts") {
        val given = dir.resolve("notes.txt").apply { writeText("x") }
        val tree = dir.resolve("classes").createDirectories()
        val paths = WatchedPaths(listOf(tree, given), ReloadPlugin.DEFAULT_EXTENSIONS)
        paths.accepts(tree.resolve("a/B.class")) shouldBe true
        paths.accepts(tree.resolve("app.properties")) shouldBe true
        paths.accepts(tree.resolve("README.txt")) shouldBe false
        paths.accepts(given) shouldBe true
        paths.accepts(dir.resolve("other.txt")) shouldBe false // beside the given file, outside the tree
        paths.accepts(tree.resolve(".git/HEAD.json")) shouldBe false
        for (name in listOf(".B.class.swp", "B.class~", ".#B.class", "#B.class#", "4913", "B.class.tmp", "B.class___jb_tmp___", "x.swx")) {
            withClue(name) { paths.accepts(tree.resolve(name)) shouldBe false }
        }
        WatchedPaths(listOf(tree), setOf(".TXT")).accepts(tree.resolve("a.txt")) shouldBe true
        WatchedPaths(listOf(tree), emptySet()).accepts(tree.resolve("anything")) shouldBe true
        WatchedPaths(listOf(tree), emptySet()).accepts(tree.resolve("4913")) shouldBe false
    }

    test("a path that does not exist is refused with its name, when the plugin is made") {
        val missing = dir.resolve("target/classes")
        shouldThrow<IllegalArgumentException> { Plugins.reload(listOf(missing)) }.message shouldContain "$missing does not exist"
        shouldThrow<IllegalArgumentException> { Plugins.reload(emptyList()) }
        shouldThrow<IllegalArgumentException> { Plugins.reload(listOf(dir), quietPeriod = 0.milliseconds) }
    }

    test("the watcher reports changed files, in new subdirectories too, and not the ignored ones") {
        val seen = LinkedBlockingQueue<Path>()
        PathWatcher(WatchedPaths(listOf(dir), ReloadPlugin.DEFAULT_EXTENSIONS)) { seen.put(it) }.use {
            dir.resolve(".A.class.swp").writeText("swap")
            dir.resolve("A.class").writeText("a")
            seen.poll(10, TimeUnit.SECONDS) shouldBe dir.resolve("A.class")

            val sub = dir.resolve("p/q").createDirectories() // created, then watched: its file may be seen either way
            sub.resolve("B.class").writeText("b")
            generateSequence { seen.poll(10, TimeUnit.SECONDS) }.first { it != dir.resolve("A.class") } shouldBe sub.resolve("B.class")
            sub.resolve("C.class").writeText("c")
            generateSequence { seen.poll(10, TimeUnit.SECONDS) }.first { it != sub.resolve("B.class") } shouldBe sub.resolve("C.class")
        }
        seen.clear()
        dir.resolve("D.class").writeText("after close")
        seen.poll(300, TimeUnit.MILLISECONDS) shouldBe null
    }

    test("a burst makes one action once quiet; changes during an action make one more; one action at a time") {
        runTest {
            val changes = Channel<Path>(Channel.UNLIMITED)
            val acted = ArrayList<Pair<Long, ChangeBurst>>()
            var running = 0
            val job = launch(start = CoroutineStart.UNDISPATCHED) {
                forEachBurst(changes, 300.milliseconds) { burst ->
                    check(++running == 1) { "two actions at once" }
                    acted += testScheduler.currentTime to burst
                    delay(1_000) // a reload
                    running--
                }
            }
            for (i in 0 until 5) { changes.send(Path.of("f$i")); delay(100) } // 0..400 ms, never 300 ms quiet
            changes.send(Path.of("f0")) // at 500 ms: the same file again
            delay(1_000) // acts at 500 + 300 = 800, busy until 1 800
            for (i in 5 until 8) { changes.send(Path.of("f$i")); delay(50) } // 1 500..1 600, during the action: one more, after it
            delay(3_000)
            acted shouldBe listOf(800L to ChangeBurst(Path.of("f0"), 5), 1_800L + 300 to ChangeBurst(Path.of("f5"), 3))
            changes.close()
            withTimeout(1.seconds) { job.join() }
        }
    }

    test("a lone change acts after the quiet period, and nothing acts without changes") {
        runTest {
            val changes = Channel<Path>(Channel.UNLIMITED)
            val acted = ArrayList<Long>()
            val job = launch { forEachBurst(changes, 300.milliseconds) { acted += testScheduler.currentTime } }
            delay(5_000)
            acted.shouldBeEmpty()
            changes.send(Path.of("x"))
            delay(1_000)
            acted shouldBe listOf(5_300L)
            job.cancel()
        }
    }
})
