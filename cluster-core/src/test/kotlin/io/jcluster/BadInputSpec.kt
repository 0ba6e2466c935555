package io.jcluster

import io.jcluster.WorkerEvent.Online
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain

/**
 * Workers that never come online: a main class that does not exist, a main that throws (no Node
 * counterpart: a JVM can fail before any user code runs). Each is reported as a crash with the JVM's
 * own words from its stderr, and nothing hangs.
 */
class BadInputSpec : FunSpec({
    timeout = 20_000

    test("a main class that does not exist is a crash with code 1, and the JVM's error in stderr") {
        withCluster(testSettings("idle").copy(mainClass = "no.such.Main")) { primary, log ->
            val worker = primary.fork()
            val seen = log.awaitGone(worker)

            val exited = seen.exited()
            "${exited.code} ${exited.reason} ${exited.exitedAfterDisconnect}" shouldBe "1 CRASH false"
            exited.stderr.joinToString("\n") shouldContain "Could not find or load main class no.such.Main"
            seen.filter { it.event is Online }.shouldBeEmpty()
        }
    }

    test("a main that throws before it connects is a crash, with the exception in stderr") {
        withCluster(testSettings("crash-in-main")) { primary, log ->
            val worker = primary.fork()
            val seen = log.awaitGone(worker)

            val exited = seen.exited()
            exited.code!! shouldBeGreaterThan 0
            "${exited.reason} ${exited.exitedAfterDisconnect}" shouldBe "CRASH false"
            exited.stderr.joinToString("\n") shouldContain "boom in main"
            seen.filter { it.event is Online }.shouldBeEmpty()
        }
    }

    test("a main that throws once online reaches the app's own default handler, then the worker exits 1") {
        withCluster(testSettings("throw-to-own-handler")) { primary, log ->
            val worker = primary.fork()
            val exited = log.awaitGone(worker).exited()
            exited.code shouldBe 1
            exited.stderr.joinToString("\n") shouldContain "the app's handler saw 'boom in main, once online' in main"
        }
    }
})
