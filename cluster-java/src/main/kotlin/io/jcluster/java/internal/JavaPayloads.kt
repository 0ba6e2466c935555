package io.jcluster.java.internal

import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.booleanOrNull
import kotlinx.serialization.json.double
import kotlinx.serialization.json.longOrNull

/**
 * Java values as messages. The core sends `@Serializable` values and JSON trees; Java's natural
 * message is a tree of maps, lists, strings, numbers, booleans and nulls, or a record. Those go out
 * as a JSON tree and come back as maps (insertion-ordered), lists, strings, `Long`s or `Double`s,
 * booleans and nulls; anything else (a `String`, an `Integer`, a `@Serializable` class, a
 * `JsonElement`) is left to the core, and arrives as itself.
 */
internal object JavaPayloads {
    fun toWire(value: Any): Any = if (value is Map<*, *> || value is Collection<*> || value is Array<*> || value.javaClass.isRecord) toJson(value) else value

    /** A received payload for Java: a JSON tree (other than a bare `null`) becomes maps and lists. */
    fun fromWire(value: Any): Any = if (value is JsonElement && value != JsonNull) fromJson(value)!! else value

    private fun toJson(value: Any?): JsonElement = when (value) {
        null -> JsonNull
        is JsonElement -> value
        is Map<*, *> -> JsonObject(value.entries.associate { (key, item) -> key.toString() to toJson(item) })
        is Collection<*> -> JsonArray(value.map(::toJson))
        is Array<*> -> JsonArray(value.map(::toJson))
        is String -> JsonPrimitive(value)
        is Number -> JsonPrimitive(value)
        is Boolean -> JsonPrimitive(value)
        is Enum<*> -> JsonPrimitive(value.name)
        else -> if (value.javaClass.isRecord) record(value) else throw IllegalArgumentException(
            "cannot put a ${value.javaClass.name} in a message: use maps, lists, strings, numbers, booleans, nulls and records",
        )
    }

    private fun record(value: Any): JsonObject =
        JsonObject(value.javaClass.recordComponents.associate { it.name to toJson(it.accessor.apply { isAccessible = true }.invoke(value)) })

    private fun fromJson(element: JsonElement): Any? = when (element) {
        JsonNull -> null
        is JsonObject -> element.mapValues { fromJson(it.value) }
        is JsonArray -> element.map(::fromJson)
        is JsonPrimitive -> if (element.isString) element.content else element.booleanOrNull ?: element.longOrNull ?: element.double
    }
}
