package io.jcluster.internal

import io.jcluster.ipc.MessageCodec
import kotlinx.serialization.KSerializer
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.serializer
import java.util.concurrent.ConcurrentHashMap

/**
 * Application messages between primary and workers: any `@Serializable` value, or a JSON tree. Each
 * travels as `{"class": <its class name>, "value": <its JSON>}` (a tree as `{"json": ...}`), so the
 * receiver rebuilds the same type: primary and workers share one classpath. Only classes that
 * kotlinx-serialization can build are ever instantiated.
 */
internal object PayloadCodec : MessageCodec<Any> {
    private val json = Json { encodeDefaults = true; ignoreUnknownKeys = true }
    private val serializers = ConcurrentHashMap<Class<*>, KSerializer<Any>>()

    override fun encode(message: Any): ByteArray {
        if (message is JsonElement) return """{"json":$message}""".encodeToByteArray()
        val serializer = serializerOf(message.javaClass)
        return """{"class":"${message.javaClass.name}","value":${json.encodeToString(serializer, message)}}""".encodeToByteArray()
    }

    override fun decode(bytes: ByteArray): Any {
        val envelope = json.parseToJsonElement(bytes.decodeToString()) as? JsonObject
            ?: throw IllegalArgumentException("a message must be a JSON object envelope")
        envelope["json"]?.let { return it }
        val className = envelope["class"]?.jsonPrimitive?.content ?: throw IllegalArgumentException("message without a class")
        val type = try {
            Class.forName(className, false, PayloadCodec::class.java.classLoader)
        } catch (e: ClassNotFoundException) {
            throw IllegalArgumentException("unknown message type $className: is the worker's classpath the primary's?", e)
        }
        return json.decodeFromJsonElement(serializerOf(type), envelope["value"] ?: throw IllegalArgumentException("message without a value"))
    }

    private fun serializerOf(type: Class<*>): KSerializer<Any> = serializers.getOrPut(type) {
        try {
            serializer(type)
        } catch (e: Exception) {
            throw IllegalArgumentException("cannot send a ${type.name}: mark it @Serializable (kotlinx.serialization) or send a JsonElement", e)
        }
    }
}
