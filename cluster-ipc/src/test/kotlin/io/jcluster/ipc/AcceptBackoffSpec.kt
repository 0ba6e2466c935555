package io.jcluster.ipc

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.nulls.shouldBeNull
import io.kotest.matchers.nulls.shouldNotBeNull
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.io.IOException

/** [AcceptBackoff]: the pauses of nginx and Go's `net/http`, a problem while failing, and reset by a working accept. */
class AcceptBackoffSpec : FunSpec({
    val emfile = IOException("Too many open files")

    test("pauses start at 5 ms, double, stop at 1 s, and start over after an accept that works") {
        val backoff = AcceptBackoff("test listener")
        List(10) { backoff.failed(emfile) } shouldBe listOf(5L, 10, 20, 40, 80, 160, 320, 640, 1000, 1000)
        backoff.succeeded()
        backoff.failed(emfile) shouldBe 5L
    }

    test("the problem names the listener and the error while failing, and clears on success") {
        val backoff = AcceptBackoff("test listener")
        backoff.problem.shouldBeNull()
        backoff.failed(emfile)
        backoff.problem.shouldNotBeNull() shouldContain "accept failed on test listener: Too many open files"
        backoff.succeeded()
        backoff.problem.shouldBeNull()
    }

    test("the problem clears by itself once no failure came for twice the longest pause") {
        val backoff = AcceptBackoff("test listener", initialMillis = 1, maxMillis = 10)
        backoff.failed(emfile)
        backoff.problem.shouldNotBeNull()
        Thread.sleep(25) // the clock of the rule under test: no event to wait for
        backoff.problem.shouldBeNull()
    }
})
