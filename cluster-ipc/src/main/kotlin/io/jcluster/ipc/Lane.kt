package io.jcluster.ipc

/**
 * The two independent message streams one connection carries. Each lane has its own codec, so a
 * framework can keep its [CONTROL] protocol apart from the application's [USER] messages, which never
 * see each other.
 */
public enum class Lane {
    /** Framework messages (lifecycle, listen requests): never shown to application code. */
    CONTROL,

    /** Application messages, in the application's own types. */
    USER,
}
