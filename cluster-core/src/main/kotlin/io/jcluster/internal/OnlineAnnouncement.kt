package io.jcluster.internal

import java.io.File
import java.io.IOException
import java.io.RandomAccessFile
import java.nio.charset.StandardCharsets

/**
 * A worker's first word to its primary, said as soon as `Cluster` loads in its JVM: one line,
 * `started <worker id> <pid> <token>`, written to the FIFO beside the control socket ([OnlineFifo]).
 * It brings the worker online (Node's `online`: the process runs) while the runtime is still loading
 * the codec, junixsocket and coroutines that its own connection needs, tens of milliseconds before
 * that connection can say hello.
 *
 * It costs well under a millisecond because it uses only what a JVM has loaded by its `main`: a
 * file write (a JVM's first Unix-domain socket channel costs it 20–90 ms here), a `StringBuilder`
 * (a string template's `invokedynamic` spins method handles for 10–40 ms), and `/proc/self` for the
 * pid (`ProcessHandle` takes 15–50 ms to start). Best effort: a worker that cannot announce itself
 * comes online with its hello.
 */
internal object OnlineAnnouncement {
    private const val FIFO_SUFFIX = ".online"
    const val VERB = "started"

    /** The FIFO that the primary whose control socket is [controlSocket] reads announcements from. */
    fun fifoOf(controlSocket: String): String = controlSocket + FIFO_SUFFIX

    /** Announces the worker of [environment] to its primary, if the primary made the FIFO. */
    fun announce(environment: WorkerEnvironment) {
        val fifo = File(fifoOf(environment.controlSocket.toString()))
        if (!fifo.exists() || environment.token.any { it <= ' ' }) return
        try {
            // Read-write: opening a FIFO so never waits for a reader, and the primary reads it as long as it runs.
            RandomAccessFile(fifo, "rw").use { it.write(line(environment.workerId, ownPid(), environment.token)) }
        } catch (e: IOException) {
            // the hello says it
        }
    }

    /** The announcement of worker [workerId], process [pid], with [token]. */
    fun line(workerId: Int, pid: Long, token: String): ByteArray =
        StringBuilder(VERB).append(' ').append(workerId).append(' ').append(pid).append(' ').append(token).append('\n')
            .toString().toByteArray(StandardCharsets.US_ASCII)

    private fun ownPid(): Long =
        File("/proc/self").canonicalFile.name.toLongOrNull() ?: ProcessHandle.current().pid()
}
