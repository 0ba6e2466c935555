package io.jcluster.ipc

/**
 * Tuning for one connection; the defaults suit a primary talking to its workers.
 *
 * @property maxFrameSize the largest frame, header included, either side may send; a larger one is
 *   refused before it is sent and, if it arrives anyway, closes the connection.
 * @property sendQueueCapacity frames queued for the writer before [MessageChannel.send] suspends (until
 *   half of them are written).
 * @property receiveQueueCapacity frames per lane waiting for their collector before the reader stops
 *   reading, which in turn makes the peer's sends suspend.
 * @property callTimeoutMillis how long [MessageChannel.call] waits for its reply by default.
 * @property name a label for thread names and log lines (for example `worker 3`).
 */
public data class IpcOptions @JvmOverloads constructor(
    val maxFrameSize: Int = 16 * 1024 * 1024,
    val sendQueueCapacity: Int = 1024,
    val receiveQueueCapacity: Int = 1024,
    val callTimeoutMillis: Long = 10_000,
    val name: String = "ipc",
) {
    init {
        require(maxFrameSize >= 64) { "maxFrameSize must be at least 64 bytes, was $maxFrameSize" }
        require(sendQueueCapacity >= 1) { "sendQueueCapacity must be at least 1, was $sendQueueCapacity" }
        require(receiveQueueCapacity >= 1) { "receiveQueueCapacity must be at least 1, was $receiveQueueCapacity" }
        require(callTimeoutMillis > 0) { "callTimeoutMillis must be positive, was $callTimeoutMillis" }
    }
}

/** Who is on the other end of a connection, as the kernel reports it. */
public data class PeerCredentials(val pid: Long, val uid: Long, val gid: Long)
