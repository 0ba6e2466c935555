package io.jcluster

import io.jcluster.internal.Rendezvous
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.ints.shouldBeInRange
import io.kotest.matchers.shouldBe

/** Rendezvous hashing, as sticky sessions use it: even, and a leaving worker moves only its own keys. */
class RendezvousSpec : FunSpec({
    val keys = (0 until 10_000).map { Rendezvous.hash("session-$it".toByteArray()) }
    fun owners(seeds: List<Long>) = keys.map { key -> Rendezvous.pick(seeds, key, { it }) { true } }

    test("keys spread evenly over the workers") {
        val seeds = (0 until 4).map { Rendezvous.seed(it, 100 + it) }
        owners(seeds).groupingBy { it }.eachCount().values.forEach { it shouldBeInRange 2_250..2_750 }
    }

    test("a worker leaving moves only its keys; its replacement in the same slot gets them all back") {
        val seeds = (0 until 4).map { Rendezvous.seed(it, 100 + it) }
        val before = owners(seeds)
        val after = owners(seeds - seeds[2])
        keys.indices.forEach { i -> if (before[i] != seeds[2]) after[i] shouldBe before[i] }
        owners(seeds.take(2) + Rendezvous.seed(2, 999) + seeds.drop(3)) shouldBe before
    }

    test("workers of fork() rank by id, slots by slot: they never collide") {
        (Rendezvous.seed(null, 3) == Rendezvous.seed(3, 3)) shouldBe false
    }
})
