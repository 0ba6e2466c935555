package io.jcluster

/** Why a worker exited (`WorkerEvent.Exited.reason`). */
public enum class ExitReason {
    /** It exited with code 0 on its own, without being asked. */
    EXITED,

    /** It exited with a non-zero code without being asked. */
    CRASH,

    /**
     * It ran out of memory and the JVM ended it (`-XX:+ExitOnOutOfMemoryError`, on by default: exit
     * code 3 and HotSpot's `Terminating due to java.lang.OutOfMemoryError` line).
     */
    OUT_OF_MEMORY,

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

    /** Some of its threads were deadlocked (`Supervision.replaceDeadlocked`); it was dumped and replaced. */
    DEADLOCK,

    /** Its collector took more than `Supervision.maxGcShare` of its time; it was dumped and replaced. */
    GC_OVERHEAD,

    /** Its heap after collections stayed above `Supervision.maxLiveHeapShare` of its maximum; it was dumped and replaced. */
    HEAP_EXHAUSTED,

    /** A reload replaced it. */
    RELOAD,

    /** `spawn(-n)` retired it. */
    SCALE_DOWN,
}
