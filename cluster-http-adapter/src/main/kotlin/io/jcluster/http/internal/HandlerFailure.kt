package io.jcluster.http.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import java.io.IOException

private val log = KotlinLogging.logger {}

/**
 * What every adapter does when a handler throws, an `Error` included (an `OutOfMemoryError` the JVM
 * survived, a `StackOverflowError`): the request is answered `500` with `Connection: close` if its
 * response has not begun (the handler's state is unknown, so its connection is not reused), and the
 * connection is closed if it has. Left to the servers, the JDK's and Netty's would leave the client
 * waiting for an answer that never comes, and Jetty would keep the connection alive.
 *
 * A thrown `Error` the JVM survives is answered like any failure. A JVM started with
 * `-XX:+ExitOnOutOfMemoryError` ends at a real `OutOfMemoryError` (exit code 3) before this runs, and
 * a worker's primary then replaces it; the flag does nothing to an `OutOfMemoryError` code throws.
 */
internal object HandlerFailure {
    const val STATUS = 500

    /** Logs [failure]; a client that went away (an `IOException`) is no news, and logs at debug. */
    fun log(failure: Throwable, responseBegun: Boolean) {
        if (failure is IOException) return log.debug { "a handler's connection failed: $failure" }
        val outcome = if (responseBegun) "closed its connection (its response had begun)" else "answered $STATUS and closed its connection"
        runCatching { log.warn(failure) { "a handler threw; $outcome" } }
    }
}
