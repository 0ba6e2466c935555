package io.jcluster.ipc.internal

import java.io.FileDescriptor
import java.nio.ByteBuffer

/**
 * The frame layout, big-endian:
 *
 * | offset | size | field                                                         |
 * |--------|------|---------------------------------------------------------------|
 * | 0      | 4    | length of everything after this field                         |
 * | 4      | 1    | magic `0x4A`                                                  |
 * | 5      | 1    | kind: 1 control, 2 user, 3 reply, 4 error reply               |
 * | 6      | 1    | handle count (file descriptors sent with this frame)          |
 * | 7      | 1    | flags: bit 0 = the sender waits for a reply                   |
 * | 8      | 8    | correlation id (0 unless a call or a reply)                   |
 * | 16     | 2    | length of the handle descriptors                              |
 * | 18     | …    | handle descriptors, then the payload                          |
 *
 * Frames that carry descriptors are written by `sendmsg`s of their own: one such frame, or a run of
 * them with at most [MAX_HANDLES] descriptors in all, never with a frame that carries none. The kernel
 * hands the descriptors over with the read that holds the first byte of their `sendmsg`, so every
 * frame between that byte and the end of the read announces descriptors (see [FrameReader]).
 */
internal object WireFormat {
    const val MAGIC: Byte = 0x4A
    const val LENGTH_FIELD_SIZE = 4
    const val HEADER_SIZE = 18
    const val MAX_HANDLES = 16

    const val KIND_CONTROL = 1
    const val KIND_USER = 2
    const val KIND_REPLY = 3
    const val KIND_ERROR_REPLY = 4

    const val FLAG_CALL = 1

    /** The whole frame, header included. */
    fun encode(kind: Int, flags: Int, correlation: Long, handleCount: Int, descriptors: ByteArray, payload: ByteArray): ByteArray {
        val bytes = ByteArray(HEADER_SIZE + descriptors.size + payload.size)
        ByteBuffer.wrap(bytes)
            .putInt(bytes.size - LENGTH_FIELD_SIZE)
            .put(MAGIC).put(kind.toByte()).put(handleCount.toByte()).put(flags.toByte())
            .putLong(correlation)
            .putShort(descriptors.size.toShort())
            .put(descriptors).put(payload)
        return bytes
    }
}

/**
 * A frame on its way out. Its [fds] are the sender's while it is written directly; a queued frame
 * owns them ([owningCopies]) and whoever drops or writes it closes them ([closeDescriptors]).
 */
internal class OutboundFrame(
    val bytes: ByteArray,
    val fds: Array<FileDescriptor>? = null,
) {
    /** This frame with duplicates of its descriptors (`dup`), for the queue; itself if it has none. */
    fun owningCopies(): OutboundFrame {
        val own = fds ?: return this
        val copies = ArrayList<FileDescriptor>(own.size)
        try {
            own.forEach { copies += FileDescriptors.duplicate(it) }
        } catch (e: Throwable) {
            copies.forEach { runCatching { FileDescriptors.close(it) } }
            throw e
        }
        return OutboundFrame(bytes, copies.toTypedArray())
    }

    /** Closes the descriptors this frame owns. */
    fun closeDescriptors() {
        fds?.forEach { runCatching { FileDescriptors.close(it) } }
    }
}

/** A frame as read, its descriptors already turned into handles the receiver owns. */
internal class InboundFrame(
    val kind: Int,
    val flags: Int,
    val correlation: Long,
    val handles: List<io.jcluster.ipc.Handle>,
    val payload: ByteArray,
) {
    val isCall: Boolean get() = flags and WireFormat.FLAG_CALL != 0

    fun closeHandles() = handles.forEach { runCatching { it.close() } }
}
