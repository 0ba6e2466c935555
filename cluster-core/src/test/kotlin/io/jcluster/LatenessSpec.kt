package io.jcluster

import io.jcluster.internal.Lateness
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/** When round-robin calls a worker's heartbeat late (pure: durations in, a verdict out). */
class LatenessSpec : FunSpec({
    test("late after two missed intervals, or half the timeout if shorter; never before ready or without a heartbeat") {
        val fast = Supervision(heartbeatInterval = 200.milliseconds, heartbeatTimeout = 2.seconds)
        Lateness.isLate(300.milliseconds, fast) shouldBe false
        Lateness.isLate(450.milliseconds, fast) shouldBe true
        Lateness.isLate(null, fast) shouldBe false
        Lateness.isLate(1.seconds, fast.copy(heartbeatTimeout = null)) shouldBe false
        val slow = Supervision(heartbeatInterval = 5.seconds, heartbeatTimeout = 12.seconds)
        Lateness.isLate(5.seconds, slow) shouldBe false
        Lateness.isLate(7.seconds, slow) shouldBe true
    }
})
