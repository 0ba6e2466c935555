package io.jcluster.ipc

import io.jcluster.ipc.internal.WireFormat
import io.kotest.property.Arb
import io.kotest.property.arbitrary.arbitrary
import java.nio.ByteBuffer
import kotlin.random.Random
import kotlin.reflect.KClass

/** One `write` on the raw socket; [fds] descriptors ride on it (`SCM_RIGHTS`). */
class RawWrite(val bytes: ByteArray, val fds: Int = 0) {
    init {
        require(fds == 0 || bytes.isNotEmpty()) { "descriptors need at least one byte to ride on" }
    }
}

/**
 * What [WireFuzzSpec] feeds the decoder: [writes] on a raw socket, then the writer hangs up (unless
 * [holdOpen]: the decoder must then stop on its own). [expected] is the one error this input must
 * give, or null where any specific error, or none, is right (a random mutation may leave a valid stream).
 */
class FuzzInput(val label: String, val writes: List<RawWrite>, val expected: KClass<out IpcException>? = null, val holdOpen: Boolean = false) {
    val size: Int get() = writes.sumOf { it.bytes.size }
    val fdCount: Int get() = writes.sumOf { it.fds }

    /** What kind of input this is, for the printed counts. */
    val category: String get() = label.substringBefore(':')

    override fun toString(): String = "$label (${writes.size} writes, $size bytes, $fdCount fds)"
}

/**
 * A frame's payload: whether it is a valid `TestMessage` ([message]) and valid JSON ([json]); null
 * where either is fine (a random draw, or nesting a parser may refuse for its depth).
 */
class FuzzPayload(val label: String, val bytes: ByteArray, val message: Boolean?, val json: Boolean?) {
    constructor(label: String, text: String, message: Boolean?, json: Boolean?) : this(label, text.encodeToByteArray(), message, json)
}

/** Generators of valid frames and of the ways to break them. */
object FuzzInputs {
    private const val RAW_FD = 5

    /** Structurally valid frames, now and then carrying descriptors: a mix of the errors each mutation of them gives. */
    val mutated: Arb<FuzzInput> = arbitrary { rs ->
        val r = rs.random
        when (r.nextInt(11)) {
            0 -> truncated(r)
            1 -> forgedLength(r)
            2 -> badKind(r)
            3 -> handlesWithoutFds(r)
            4 -> fdsWithoutFrame(r)
            5 -> descriptorsOverrun(r)
            6 -> oversized(r)
            7 -> strayFdFlood(r)
            8 -> badDescriptor(r)
            9 -> randomBytes(r)
            else -> flippedBytes(r)
        }
    }

    /** Frames that are valid on the wire but whose payload no codec should accept, and some valid ones among them. */
    val payloads: Arb<FuzzPayload> = arbitrary { rs -> payload(rs.random) }

    fun frame(r: Random, payload: ByteArray = randomPayload(r), kind: Int = WireFormat.KIND_USER, handles: Int = 0): ByteArray {
        val descriptors = ByteArray(handles * 4).also { d -> repeat(handles) { d[it * 4] = RAW_FD.toByte() } }
        return WireFormat.encode(kind, if (r.nextBoolean()) 0 else WireFormat.FLAG_CALL, r.nextLong(), handles, descriptors, payload)
    }

    /** A few valid frames (some with raw descriptors), one write each. */
    fun validStream(r: Random, frames: Int = 1 + r.nextInt(4)): List<RawWrite> = List(frames) {
        val handles = if (r.nextInt(4) == 0) 1 + r.nextInt(3) else 0
        RawWrite(frame(r, kind = 1 + r.nextInt(4), handles = handles), handles)
    }

    private fun truncated(r: Random): FuzzInput {
        val frame = frame(r)
        return FuzzInput("truncated", listOf(RawWrite(frame.copyOf(1 + r.nextInt(frame.size - 1)))), TruncatedFrameException::class)
    }

    private fun forgedLength(r: Random): FuzzInput {
        val frame = frame(r)
        val forged = when (r.nextInt(4)) {
            0 -> -1 // 4 GiB
            1 -> Int.MAX_VALUE
            2 -> r.nextInt(WireFormat.HEADER_SIZE - WireFormat.LENGTH_FIELD_SIZE) // shorter than a header
            else -> frame.size + r.nextInt(1, 1 shl 20) // longer than what comes, but within the limit
        }
        ByteBuffer.wrap(frame).putInt(0, forged)
        val total = (forged.toLong() and 0xFFFFFFFFL) + WireFormat.LENGTH_FIELD_SIZE
        val expected = when {
            total > MAX_FRAME -> FrameTooLargeException::class
            total < WireFormat.HEADER_SIZE -> MalformedFrameException::class
            else -> TruncatedFrameException::class
        }
        return FuzzInput("forged length: $forged", listOf(RawWrite(frame)), expected)
    }

    private fun badKind(r: Random): FuzzInput {
        val kind = generateSequence { r.nextInt(256) }.first { it !in WireFormat.KIND_CONTROL..WireFormat.KIND_ERROR_REPLY }
        return FuzzInput("bad kind: $kind", listOf(RawWrite(frame(r).also { it[5] = kind.toByte() })), MalformedFrameException::class)
    }

    /** Handles announced, descriptors never sent: up to the limit a missing handle, past it a malformed frame. */
    private fun handlesWithoutFds(r: Random): FuzzInput {
        val count = 1 + r.nextInt(255)
        val frame = frame(r, handles = minOf(count, WireFormat.MAX_HANDLES)).also { it[6] = count.toByte() }
        val expected = if (count > WireFormat.MAX_HANDLES) MalformedFrameException::class else MissingHandleException::class
        return FuzzInput("handles without descriptors: $count announced", listOf(RawWrite(frame)), expected)
    }

    /** Descriptors on a frame that announces none, then (or not) another frame. */
    private fun fdsWithoutFrame(r: Random): FuzzInput {
        val writes = listOf(RawWrite(frame(r), 1 + r.nextInt(3))) + if (r.nextBoolean()) listOf(RawWrite(frame(r))) else emptyList()
        return FuzzInput("descriptors no frame announced", writes, UnexpectedHandleException::class)
    }

    private fun descriptorsOverrun(r: Random): FuzzInput {
        val frame = frame(r)
        ByteBuffer.wrap(frame).putShort(16, (frame.size - WireFormat.HEADER_SIZE + 1 + r.nextInt(1000)).toShort())
        return FuzzInput("descriptor length past the frame", listOf(RawWrite(frame)), MalformedFrameException::class)
    }

    /** A frame that really is over the limit, its bytes all sent. */
    private fun oversized(r: Random): FuzzInput =
        FuzzInput("oversized", listOf(RawWrite(frame(r, ByteArray(MAX_FRAME + r.nextInt(1, 1000))))), FrameTooLargeException::class)

    /** One byte at a time of a frame that never completes, a descriptor on each: the reader must not hoard them. */
    private fun strayFdFlood(r: Random): FuzzInput {
        val frame = frame(r, ByteArray(1000))
        val writes = List(WireFormat.MAX_HANDLES + 1 + r.nextInt(8)) { RawWrite(byteArrayOf(frame[it]), 1) }
        return FuzzInput("descriptors piled up behind an incomplete frame", writes, UnexpectedHandleException::class, holdOpen = true)
    }

    /** A handle whose descriptor lies: wrong type, family or address for what arrives (a pipe end or /dev/null). */
    private fun badDescriptor(r: Random): FuzzInput {
        val type = r.nextInt(0, 8).takeIf { it != RAW_FD } ?: 9
        val family = listOf(0, 1, 4, 6, 9)[r.nextInt(5)]
        val address = listOf("", "127.0.0.1:80", "beef:1", "cafe:80", "1.2.3.4:99999", "::1:5", "300.1.1.1:1", "a\u0000b", "x:y").random(r)
        val addressBytes = address.encodeToByteArray()
        val descriptor = ByteBuffer.allocate(4 + addressBytes.size).put(type.toByte()).put(family.toByte()).putShort(addressBytes.size.toShort()).put(addressBytes).array()
        val frame = WireFormat.encode(WireFormat.KIND_USER, 0, 0, 1, descriptor, randomPayload(r))
        return FuzzInput("lying handle descriptor: type $type, family $family, address '$address'", listOf(RawWrite(frame, 1)), MalformedFrameException::class)
    }

    private fun randomBytes(r: Random): FuzzInput =
        FuzzInput("random bytes", List(1 + r.nextInt(3)) { RawWrite(r.nextBytes(1 + r.nextInt(300)), if (r.nextInt(5) == 0) 1 else 0) })

    private fun flippedBytes(r: Random): FuzzInput {
        val writes = validStream(r).map { write ->
            val bytes = write.bytes.copyOf()
            repeat(1 + r.nextInt(3)) { bytes[r.nextInt(minOf(bytes.size, WireFormat.HEADER_SIZE + 8))] = r.nextInt(256).toByte() }
            RawWrite(bytes, write.fds)
        }
        return FuzzInput("flipped header bytes", writes)
    }

    private fun randomPayload(r: Random): ByteArray = when (r.nextInt(3)) {
        0 -> r.nextBytes(r.nextInt(200))
        1 -> ByteArray(0)
        else -> """{"type":"text","seq":${r.nextInt()},"body":"${"x".repeat(r.nextInt(100))}"}""".encodeToByteArray()
    }

    private fun payload(r: Random): FuzzPayload = when (r.nextInt(10)) {
        0 -> FuzzPayload("valid", """{"type":"text","seq":${r.nextInt()},"body":"ok"}""", message = true, json = true)
        1 -> FuzzPayload("invalid UTF-8", """{"type":"text","seq":1,"body":"?"}""".encodeToByteArray().also { it[it.size - 3] = listOf(0xC3, 0xFF, 0xED, 0x80).random(r).toByte() }, false, false)
        2 -> FuzzPayload("truncated JSON", """{"type":"text","seq":1,"body":"abc"}""".encodeToByteArray().let { it.copyOf(r.nextInt(it.size)) }, false, false)
        3 -> FuzzPayload("deep arrays", "[".repeat(DEEP) + "]".repeat(DEEP), message = false, json = null)
        4 -> FuzzPayload("deep objects in an unknown key", """{"type":"text","seq":1,"body":"b","extra":""" + """{"a":""".repeat(DEEP) + "1" + "}".repeat(DEEP) + "}", null, null)
        5 -> FuzzPayload("unclosed nesting", "[{\"a\":".repeat(DEEP), false, false)
        6 -> FuzzPayload("unknown type", """{"type":"no-such-${r.nextInt()}","seq":1}""", message = false, json = true)
        7 -> FuzzPayload("wrong field types", """{"type":"text","seq":"one","body":2}""", message = false, json = true)
        8 -> FuzzPayload("random bytes", r.nextBytes(r.nextInt(100)), null, null)
        else -> FuzzPayload("huge number", """{"type":"number","seq":1,"value":${"9".repeat(1000)}}""", message = false, json = true)
    }

    /** The frame limit the fuzz specs use: small, so that honest over-limit frames stay cheap. */
    const val MAX_FRAME = 256 * 1024

    /** Nesting deep enough to overflow a recursive parser's stack many times over. */
    const val DEEP = 200_000
}
