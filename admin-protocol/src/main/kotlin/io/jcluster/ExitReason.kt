package io.jcluster

/** Why a worker exited (`WorkerEvent.Exited.reason`). */
public enum class ExitReason {
    /** It exited with code 0 on its own, without being asked. */
    EXITED,

    /** It exited with a non-zero code without being asked. */
    CRASH,

    /** A signal the primary did not send ended it. */
    SIGNAL,

    /** It exited after `disconnect()`. */
    DISCONNECT,

    /** The primary killed it with `kill()`. */
    KILL,

    /** It did not exit within the disconnect timeout after `disconnect()`, and the primary killed it. */
    DISCONNECT_TIMEOUT,

    /** It was not ready within `Supervision.bootTimeout`, and the primary killed it. */
    BOOT_TIMEOUT,

    /** It stopped answering heartbeats; the primary asked it for a thread dump and killed it. */
    HEARTBEAT,

    /** It served `Supervision.maxRequests` requests and was replaced. */
    MAX_REQUESTS,

    /** It used more memory than `Supervision.maxHeap` or `Supervision.maxRss` allow and was replaced. */
    MEMORY,

    /** A reload replaced it. */
    RELOAD,

    /** `spawn(-n)` retired it. */
    SCALE_DOWN,
}
