package io.jcluster.ops.internal

import java.io.FileOutputStream
import java.io.IOException
import java.io.RandomAccessFile
import java.nio.file.Files
import java.nio.file.Path
import java.time.Instant

/**
 * One log file of the logger plugin: whole lines, each written at once. [write] never throws: the
 * workers' pump threads call it, and a pump that died would lose its worker's output for good. A
 * line that cannot be written (a full disk) is dropped and counted; the file is tried again with the
 * first line the disk has room for (a `statfs` per line meanwhile, far cheaper than a failing write,
 * and no time-based retry: a burst of lines may come and go between two ticks), and the first line
 * written then says how many were dropped. [warn] hears of the first drop of a run.
 */
internal class LogFile(private val path: Path, private val warn: (String) -> Unit) {
    private var out: FileOutputStream? = null
    private var dropped = 0L
    private var failure: String? = null

    @Synchronized
    fun write(line: String) {
        val bytes = "${Instant.now()} $line\n".toByteArray()
        if (failure != null && !hasRoomFor(bytes.size)) return drop()
        try {
            val stream = out ?: open()
            if (dropped > 0) stream.write(droppedLine())
            stream.write(bytes)
            dropped = 0
            failure = null
        } catch (e: IOException) {
            fail(e)
            drop()
        }
    }

    /** Lets the file go; the next line opens it at its path anew. */
    @Synchronized
    fun reopen() = close()

    @Synchronized
    fun close() {
        runCatching { out?.close() }
        out = null
    }

    private fun open(): FileOutputStream {
        val stream = FileOutputStream(path.toFile(), true)
        out = stream
        if (failure != null) endPartialLine(stream)
        return stream
    }

    /** A line cut short by the full disk gets its line break, so that the next one starts whole. */
    private fun endPartialLine(stream: FileOutputStream) {
        val size = Files.size(path)
        if (size == 0L) return
        val last = RandomAccessFile(path.toFile(), "r").use { it.seek(size - 1); it.read() }
        if (last != '\n'.code) stream.write('\n'.code)
    }

    /** After a failure: whether the disk has room for [bytes] and a page to spare (else a try would write half a line). */
    private fun hasRoomFor(bytes: Int): Boolean {
        val room = runCatching { Files.getFileStore(path.parent).usableSpace }.getOrDefault(Long.MAX_VALUE)
        return room >= bytes + PAGE
    }

    private fun fail(e: IOException) {
        close() // what a half-written buffer holds is not written later, out of order
        if (failure == null) warn("cannot write $path (${e.message}): dropping its lines until there is room again")
        failure = e.message ?: e.javaClass.simpleName
    }

    private fun drop() {
        dropped++
    }

    private fun droppedLine(): ByteArray =
        "${Instant.now()} primary WARNING | dropped $dropped lines of this file ($failure)\n".toByteArray()

    private companion object {
        const val PAGE = 4096
    }
}
