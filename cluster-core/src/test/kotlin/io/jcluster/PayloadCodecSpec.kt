package io.jcluster

import io.jcluster.internal.PayloadCodec
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put

/** The envelope of application messages: its own form decodes without a tree, every other form as before. */
class PayloadCodecSpec : FunSpec({
    val greeting = Greeting(7, 42, """C:\dir "quoted" ","value":{} é""", null, 2, listOf("G1 Young", "G1 Old"))

    fun decode(text: String) = PayloadCodec.decode(text.encodeToByteArray())

    test("a value round-trips, whatever its strings hold (quotes, the envelope's own keys, non-ASCII)") {
        PayloadCodec.decode(PayloadCodec.encode(greeting)) shouldBe greeting
        PayloadCodec.decode(PayloadCodec.encode(Ping(1))) shouldBe Ping(1)
    }

    test("a JSON tree round-trips") {
        val tree = buildJsonObject { put("cmd", "notifyRequest"); put("n", 3) }
        PayloadCodec.decode(PayloadCodec.encode(tree)) shouldBe tree
        PayloadCodec.decode(PayloadCodec.encode(JsonPrimitive("x"))) shouldBe JsonPrimitive("x")
    }

    test("an envelope in another form (spaces, other key order, unknown keys) decodes to the same value") {
        decode("""{ "class": "io.jcluster.Ping", "value": {"n": 1} }""") shouldBe Ping(1)
        decode("""{"value":{"n":1},"class":"io.jcluster.Ping"}""") shouldBe Ping(1)
        decode("""{"class":"io.jcluster.Ping","value":{"n":1},"sent":"later"}""") shouldBe Ping(1)
        decode("""{"class":"io.jcluster.Ping","value":{"n":1}} """) shouldBe Ping(1)
    }

    test("a bad message fails as before: unknown class, a class with no serializer, a broken value, no envelope") {
        shouldThrow<IllegalArgumentException> { decode("""{"class":"no.such.Type","value":{}}""") }.message shouldContain "unknown message type no.such.Type"
        shouldThrow<IllegalArgumentException> { decode("""{"class":"java.lang.Thread","value":{}}""") }.message shouldContain "mark it @Serializable"
        shouldThrow<IllegalArgumentException> { decode("""{"class":"io.jcluster.Ping","value":{"n":"one"}}""") }
        shouldThrow<IllegalArgumentException> { decode("""{"class":"io.jcluster.Ping","value":{"n":1},"class":"io.jcluster.Pong"}""") }
        shouldThrow<IllegalArgumentException> { decode("""[1, 2]""") }.message shouldContain "JSON object envelope"
    }
})
