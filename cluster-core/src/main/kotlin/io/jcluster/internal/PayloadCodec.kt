package io.jcluster.internal

import io.jcluster.Advanced
import io.jcluster.ipc.MessageCodec
import kotlinx.serialization.KSerializer
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.serializer
import java.util.concurrent.ConcurrentHashMap

/**
 * Application messages between primary and workers: any `@Serializable` value, or a JSON tree (or an
 * [Advanced] graph, which [AdvancedMessages] encodes, after a first byte no JSON text starts with). Each
 * travels as `{"class": <its class name>, "value": <its JSON>}` (a tree as `{"json": ...}`), so the
 * receiver rebuilds the same type: primary and workers share one classpath. Only classes that
 * kotlinx-serialization can build are ever instantiated.
 *
 * Decoding reads the envelope this codec writes (`{"class":"NAME","value":VALUE}`, byte for byte)
 * without building a JSON tree: VALUE goes straight to its serializer, found by NAME in a cache. A
 * message in any other form (spaces, other key order) takes the general path. The main job's primary
 * decodes one message per request, and the tree took two thirds of its CPU time.
 */
internal object PayloadCodec : MessageCodec<Any> {
    private val json = Json { encodeDefaults = true; ignoreUnknownKeys = true }
    private val serializers = ConcurrentHashMap<Class<*>, KSerializer<Any>>()
    private val serializersByName = ConcurrentHashMap<String, KSerializer<Any>>()
    private val CLASS_PREFIX = """{"class":"""".encodeToByteArray()
    private val VALUE_PREFIX = """","value":""".encodeToByteArray()

    override fun encode(message: Any): ByteArray {
        if (message is Advanced) return AdvancedMessages.encode(message.value)
        if (message is JsonElement) return """{"json":$message}""".encodeToByteArray()
        val serializer = serializerOf(message.javaClass)
        return """{"class":"${message.javaClass.name}","value":${json.encodeToString(serializer, message)}}""".encodeToByteArray()
    }

    override fun decode(bytes: ByteArray): Any =
        if (AdvancedMessages.isOne(bytes)) AdvancedMessages.decode(bytes) else decodeOwnEnvelope(bytes) ?: decodeTree(bytes)

    /** The value of an envelope exactly as [encode] writes it, or null for any other form (or a value that does not decode). */
    private fun decodeOwnEnvelope(bytes: ByteArray): Any? {
        if (!bytes.startsWith(CLASS_PREFIX, 0) || bytes.last() != '}'.code.toByte()) return null
        val nameEnd = bytes.indexOf('"'.code.toByte(), CLASS_PREFIX.size).takeIf { it > 0 } ?: return null
        if (!bytes.startsWith(VALUE_PREFIX, nameEnd)) return null
        val name = String(bytes, CLASS_PREFIX.size, nameEnd - CLASS_PREFIX.size, Charsets.UTF_8)
        val serializer = serializersByName[name]
            ?: runCatching { serializerOf(classNamed(name)) }.getOrNull()?.also { serializersByName[name] = it }
            ?: return null
        val valueStart = nameEnd + VALUE_PREFIX.size
        return runCatching { json.decodeFromString(serializer, String(bytes, valueStart, bytes.size - 1 - valueStart, Charsets.UTF_8)) }.getOrNull()
    }

    private fun decodeTree(bytes: ByteArray): Any {
        val envelope = json.parseToJsonElement(bytes.decodeToString()) as? JsonObject
            ?: throw IllegalArgumentException("a message must be a JSON object envelope")
        envelope["json"]?.let { return it }
        val className = envelope["class"]?.jsonPrimitive?.content ?: throw IllegalArgumentException("message without a class")
        return json.decodeFromJsonElement(serializerOf(classNamed(className)), envelope["value"] ?: throw IllegalArgumentException("message without a value"))
    }

    private fun classNamed(name: String): Class<*> = try {
        Class.forName(name, false, PayloadCodec::class.java.classLoader)
    } catch (e: ClassNotFoundException) {
        throw IllegalArgumentException("unknown message type $name: is the worker's classpath the primary's?", e)
    }

    private fun serializerOf(type: Class<*>): KSerializer<Any> = serializers.getOrPut(type) {
        try {
            serializer(type)
        } catch (e: Exception) {
            throw IllegalArgumentException("cannot send a ${type.name}: mark it @Serializable (kotlinx.serialization) or send a JsonElement", e)
        }
    }

    private fun ByteArray.startsWith(prefix: ByteArray, at: Int): Boolean {
        if (size - at < prefix.size) return false
        for (i in prefix.indices) if (this[at + i] != prefix[i]) return false
        return true
    }

    private fun ByteArray.indexOf(byte: Byte, from: Int): Int {
        for (i in from until size) if (this[i] == byte) return i
        return -1
    }
}
