package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ipc.LogThrottle
import java.io.BufferedReader
import java.io.FileInputStream
import java.io.IOException
import java.io.InputStreamReader
import java.io.RandomAccessFile
import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.attribute.BasicFileAttributes
import java.util.concurrent.TimeUnit

private val log = KotlinLogging.logger {}

/**
 * The primary's end of the workers' announcements ([OnlineAnnouncement]): a FIFO beside the control
 * socket, mode 0600 (in the socket's 0700 directory), from which a daemon thread reads one line per
 * announcement and hands it to the loop as [PrimaryInput.Started].
 *
 * The kernel does not say who wrote a line, as it says who connected to the socket. So an
 * announcement, which must bring the worker's token and its pid, only ever makes a worker online;
 * its hello, from the pid the kernel vouches for, still gives it its link.
 */
internal class OnlineFifo private constructor(
    val path: Path,
    private val file: RandomAccessFile,
    private val enqueue: (PrimaryInput) -> Unit,
) : AutoCloseable {
    private val malformed = LogThrottle(log)
    private val fileKey = fileKeyOf(path)
    private val reader = Thread(::read, "jcluster-online-fifo").apply { isDaemon = true }

    /**
     * Stops reading (the reader is woken by a line of this process's own) and removes the FIFO, unless
     * another primary has put its own in its place (one that took over the same control socket path).
     */
    override fun close() {
        runCatching { file.write(STOP) }
        reader.join(STOP_WAIT_MILLIS)
        runCatching { file.close() }
        if (fileKey != null && fileKeyOf(path) == fileKey) runCatching { Files.deleteIfExists(path) }
    }

    private fun read() {
        val lines = BufferedReader(InputStreamReader(FileInputStream(file.fd), StandardCharsets.US_ASCII))
        while (true) {
            val line = try {
                lines.readLine()
            } catch (e: IOException) {
                return
            } ?: return
            if (line == STOP_LINE) return
            val started = parse(line)
            if (started == null) malformed.warn { "ignored a line in $path that is not a worker's announcement: ${line.take(80)}" } else enqueue(started)
        }
    }

    companion object {
        private const val STOP_LINE = "stop"
        private val STOP = "$STOP_LINE\n".toByteArray(StandardCharsets.US_ASCII)
        private const val STOP_WAIT_MILLIS = 1_000L
        private const val MKFIFO_WAIT_SECONDS = 5L

        /**
         * Makes the FIFO beside [socket] and starts reading it; null (announcements off: workers come
         * online with their hello) where it cannot be made, as where no `mkfifo` command exists.
         */
        fun open(socket: Path, enqueue: (PrimaryInput) -> Unit): OnlineFifo? {
            val path = Path.of(OnlineAnnouncement.fifoOf(socket.toString()))
            return try {
                Files.deleteIfExists(path)
                val mkfifo = ProcessBuilder("mkfifo", "-m", "600", path.toString()).redirectErrorStream(true).start()
                val made = mkfifo.waitFor(MKFIFO_WAIT_SECONDS, TimeUnit.SECONDS) && mkfifo.exitValue() == 0
                if (!made) {
                    mkfifo.destroyForcibly()
                    log.debug { "no FIFO for workers' announcements at $path: mkfifo failed; workers come online with their hello" }
                    return null
                }
                // Read-write: the open does not wait for a writer, and the reader never sees an end.
                OnlineFifo(path, RandomAccessFile(path.toFile(), "rw"), enqueue).also { it.reader.start() }
            } catch (e: IOException) {
                log.debug { "no FIFO for workers' announcements at $path: $e; workers come online with their hello" }
                null
            } catch (e: InterruptedException) {
                Thread.currentThread().interrupt()
                null
            }
        }

        private fun fileKeyOf(path: Path): Any? =
            runCatching { Files.readAttributes(path, BasicFileAttributes::class.java).fileKey() }.getOrNull()

        /** The input for one announcement line, or null if it is not one. */
        fun parse(line: String): PrimaryInput.Started? {
            val words = line.split(' ')
            if (words.size != 4 || words[0] != OnlineAnnouncement.VERB) return null
            val id = words[1].toIntOrNull() ?: return null
            val pid = words[2].toLongOrNull() ?: return null
            return PrimaryInput.Started(id, words[3], pid)
        }
    }
}
