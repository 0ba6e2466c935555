package io.jcluster.ipc

import kotlinx.serialization.KSerializer
import java.nio.charset.CharacterCodingException
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.serializer

/**
 * Turns messages of type [M] into bytes and back. Implement it to carry your own classes (from Java,
 * for example with Jackson); [JsonCodec] covers `@Serializable` Kotlin types and JSON trees.
 *
 * [decode] throws (any exception) for bytes it cannot understand; the channel then reports an
 * [UndecodableMessageException] and keeps running.
 */
public interface MessageCodec<M : Any> {
    /** The bytes of [message]. */
    public fun encode(message: M): ByteArray

    /** The message that [bytes] hold. */
    public fun decode(bytes: ByteArray): M
}

/**
 * The default codec: kotlinx-serialization JSON. For a protocol, give it the serializer of a sealed
 * root type; each subclass travels with its `type` discriminator, and a type the receiver does not
 * know becomes an [UndecodableMessageException] rather than a crash.
 */
public class JsonCodec<M : Any>(
    private val serializer: KSerializer<M>,
    private val json: Json = DefaultJson,
) : MessageCodec<M> {
    override fun encode(message: M): ByteArray = json.encodeToString(serializer, message).encodeToByteArray()

    override fun decode(bytes: ByteArray): M = json.decodeFromString(serializer, utf8(bytes))

    public companion object {
        /** Lenient on input the sender added later (unknown keys), strict on everything else. */
        public val DefaultJson: Json = Json { ignoreUnknownKeys = true; encodeDefaults = true }

        /** A codec for the `@Serializable` type [M]. */
        public inline fun <reified M : Any> of(json: Json = DefaultJson): JsonCodec<M> = JsonCodec(serializer<M>(), json)

        /** JSON trees: any JSON value, for callers without their own types (Java callers, scripts). */
        @JvmStatic
        public fun tree(): JsonCodec<JsonElement> = JsonCodec(JsonElement.serializer())
    }
}

/**
 * The JDK's fast UTF-8 decoding replaces bad bytes with U+FFFD; only a string holding one is decoded
 * again, strictly, so that bad input throws instead of slipping through as replacement characters.
 */
private fun utf8(bytes: ByteArray): String {
    val text = String(bytes, Charsets.UTF_8)
    if (text.indexOf('\uFFFD') < 0) return text
    return try {
        bytes.decodeToString(throwOnInvalidSequence = true)
    } catch (e: CharacterCodingException) {
        throw IllegalArgumentException("the payload is not valid UTF-8 (JSON must be)", e)
    }
}

/** Raw bytes, untouched: for callers that bring their own serialization. */
public object ByteArrayCodec : MessageCodec<ByteArray> {
    override fun encode(message: ByteArray): ByteArray = message

    override fun decode(bytes: ByteArray): ByteArray = bytes
}
