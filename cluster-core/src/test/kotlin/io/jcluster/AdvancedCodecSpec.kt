package io.jcluster

import io.jcluster.internal.AdvancedCodec
import io.jcluster.internal.AllowList
import io.jcluster.internal.PayloadCodec
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldStartWith
import io.kotest.matchers.types.shouldBeSameInstanceAs
import java.io.File

/** The advanced codec alone: graphs with cycles and JDK types round-trip; classes off the allow-list are refused on both sides. */
class AdvancedCodecSpec : FunSpec({
    beforeSpec { Team.allow() }

    test("a cyclic graph with java.time values, maps and lists round-trips through the user lane's codec") {
        val team = Team.sample()
        val copy = PayloadCodec.decode(PayloadCodec.encode(Advanced(team))) as Team
        copy.describe() shouldBe team.describe()
        copy.members[0].team shouldBeSameInstanceAs copy
        copy.notes["lead"] shouldBeSameInstanceAs copy.members[0] // a shared object stays one object
    }

    test("Kotlin's empty collections arrive as themselves") {
        PayloadCodec.decode(PayloadCodec.encode(Advanced(listOf(emptyList<Int>(), emptyMap<String, Int>(), emptySet<Int>())))) shouldBe
            listOf(emptyList<Int>(), emptyMap<String, Int>(), emptySet<Int>())
    }

    test("JSON messages still decode beside advanced ones") {
        PayloadCodec.decode(PayloadCodec.encode(Ping(3))) shouldBe Ping(3)
    }

    test("the sender refuses a class nobody allowed, in one line that says what to do") {
        val error = shouldThrow<IllegalArgumentException> { PayloadCodec.encode(Advanced(listOf(File("/etc/passwd")))) }
        error.message shouldBe "java.io.File is not allowed in advanced messages: call AdvancedSerialization.allow(File.class) (or allowPackage) in the primary and the workers"
    }

    test("the receiver refuses a class its own list lacks, before any instance of it exists") {
        val sender = AdvancedCodec(AllowList().apply { allow(Team::class.java, Person::class.java) })
        val receiver = AdvancedCodec(AllowList().apply { allow(Team::class.java) })
        val bytes = sender.encode(Team.sample(), ByteArray(0))
        shouldThrow<IllegalArgumentException> { receiver.decode(bytes, 0) }.message shouldStartWith "io.jcluster.Person is not allowed"
    }

    test("allowPackage takes an application's package, not the JDK's") {
        shouldThrow<IllegalArgumentException> { AllowList().allowPackage("java.io") }
        AllowList().apply { allowPackage("io.jcluster") }.allows(Person::class.java) shouldBe true
    }
})
