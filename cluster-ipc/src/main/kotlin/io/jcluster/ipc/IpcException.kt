package io.jcluster.ipc

import java.io.IOException

/**
 * Base of every error the IPC channel reports. Each subclass names one thing that went wrong, with a
 * message that says what the caller can do about it.
 */
public sealed class IpcException(message: String, cause: Throwable? = null) : IOException(message, cause)

/** The channel is closed: nothing more can be sent or received on it. [cause] says why, where known. */
public class IpcClosedException(message: String, cause: Throwable? = null) : IpcException(message, cause)

/** A frame broke the wire format (bad magic, kind, handle count or descriptor). The channel is closed. */
public class MalformedFrameException(message: String) : IpcException(message)

/** A frame was larger than the configured maximum frame size. On receipt the channel is closed. */
public class FrameTooLargeException(public val size: Long, public val limit: Int) :
    IpcException("frame of $size bytes exceeds the maximum frame size of $limit bytes; raise IpcOptions.maxFrameSize or send less")

/** The peer closed the connection in the middle of a frame. */
public class TruncatedFrameException(received: Int, expected: Int) :
    IpcException("peer closed the connection mid-frame after $received of $expected bytes")

/** A frame announced file descriptors that did not arrive with it. The channel is closed. */
public class MissingHandleException(expected: Int, arrived: Int) :
    IpcException("frame announced $expected handle(s) but only $arrived file descriptor(s) arrived with it")

/** File descriptors arrived that no frame claimed. They were closed; the channel is closed. */
public class UnexpectedHandleException(count: Int) :
    IpcException("$count file descriptor(s) arrived without a frame that announced them; they were closed")

/**
 * A well-formed frame whose payload the lane's codec could not decode (an unknown message type, bad
 * JSON). The message is dropped and its handles closed; the channel stays open. A call gets an error reply.
 */
public class UndecodableMessageException(lane: Lane, detail: String, cause: Throwable? = null) :
    IpcException("undecodable ${lane.name.lowercase()} message: $detail", cause)

/** A [MessageChannel.call] got no reply within its timeout. */
public class IpcTimeoutException(message: String) : IpcException(message)

/** The peer answered a [MessageChannel.call] with an error instead of a reply. */
public class RemoteCallException(message: String) : IpcException(message)

/** A peer tried to connect but is not allowed to (wrong uid, or refused by the server's check). */
public class PeerRejectedException(message: String) : IpcException(message)
