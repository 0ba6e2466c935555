package io.jcluster.java

/** A listener added with `onEvent` or `onMessage`; [close] removes it (try-with-resources works). */
public fun interface Registration : AutoCloseable {
    /** Stops the listener; idempotent. */
    override fun close()
}
