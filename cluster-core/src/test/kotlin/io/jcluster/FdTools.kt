package io.jcluster

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runInterruptible
import kotlinx.coroutines.withTimeout
import java.io.ByteArrayOutputStream
import java.io.IOException
import java.net.InetSocketAddress
import java.net.Socket
import java.net.UnixDomainSocketAddress
import java.nio.ByteBuffer
import java.nio.channels.SocketChannel
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds

/** Descriptor limits of a running process (through util-linux `prlimit`), and small clients for the fd specs. */
object FdTools {
    /** The soft and hard `RLIMIT_NOFILE` of [pid]. */
    fun nofile(pid: Long): Pair<Long, Long> {
        val line = Files.readAllLines(Path.of("/proc/$pid/limits")).first { it.startsWith("Max open files") }
        val (soft, hard) = line.removePrefix("Max open files").trim().split(Regex("\\s+"))
        return soft.toLong() to hard.toLong()
    }

    /** Sets [pid]'s `RLIMIT_NOFILE` to [soft]:[hard], as an operator's `prlimit --pid` does. */
    fun setNofile(pid: Long, soft: Long, hard: Long) {
        val run = ProcessBuilder("prlimit", "--pid", "$pid", "--nofile=$soft:$hard").inheritIO().start()
        check(run.waitFor(10, TimeUnit.SECONDS) && run.exitValue() == 0) { "prlimit --pid $pid --nofile=$soft:$hard failed" }
    }

    /**
     * Leaves [pid] no descriptor to open: its soft limit becomes its lowest free descriptor number
     * (a new descriptor takes the lowest free number, and fails with EMFILE when that is not below the limit).
     */
    fun exhaust(pid: Long) {
        val open = Files.list(Path.of("/proc/$pid/fd")).use { fds -> fds.map { it.fileName.toString().toInt() }.toList().toSet() }
        setNofile(pid, generateSequence(0) { it + 1 }.first { it !in open }.toLong(), nofile(pid).second)
    }

    /** The primary's worker control socket, from its worker [workerPid]'s environment. */
    fun workerControlSocket(workerPid: Long): Path {
        val environ = String(Files.readAllBytes(Path.of("/proc/$workerPid/environ"))).split('\u0000')
        return Path.of(environ.first { it.startsWith("JCLUSTER_CONTROL_SOCKET=") }.substringAfter('='))
    }

    /** The `Threads:` count of [pid]. */
    fun threads(pid: Long): Int =
        Files.readAllLines(Path.of("/proc/$pid/status")).first { it.startsWith("Threads:") }.split(Regex("\\s+"))[1].toInt()

    /** Connects to the control socket at [path] and sends [request] (a newline is added). */
    fun controlConnect(path: Path, request: String? = null): SocketChannel =
        SocketChannel.open(UnixDomainSocketAddress.of(path)).apply { request?.let { write(ByteBuffer.wrap("$it\n".toByteArray())) } }

    /** Reads [channel]'s reply line (null if it closed without one) within [timeout]. */
    suspend fun readLine(channel: SocketChannel, timeout: Duration = 30.seconds): String? = withTimeout(timeout) {
        runInterruptible(Dispatchers.IO) {
            val line = ByteArrayOutputStream()
            val byte = ByteBuffer.allocate(1)
            while (true) {
                byte.clear()
                val read = try {
                    channel.read(byte)
                } catch (e: IOException) {
                    if (line.size() == 0) throw e else -1
                }
                if (read < 0 || byte.get(0) == '\n'.code.toByte()) break
                line.write(byte.get(0).toInt())
            }
            if (line.size() == 0) null else line.toString(Charsets.UTF_8)
        }
    }

    /** One request on the control socket at [path]: its reply line. */
    suspend fun control(path: Path, request: String, timeout: Duration = 30.seconds): String? =
        controlConnect(path, request).use { readLine(it, timeout) }

    /** Connects to 127.0.0.1:[port] and reads the one line the ops app answers (its worker id), within 30 s. */
    fun askWorker(port: Int): String = Socket().use { socket ->
        socket.connect(InetSocketAddress("127.0.0.1", port), 10_000)
        socket.soTimeout = 30_000
        socket.getInputStream().bufferedReader().readLine()
    }

    /** An HTTP/1.1 connection kept open: requests on it need no new descriptor in the server. */
    class KeepAlive(port: Int) : AutoCloseable {
        private val socket = Socket("127.0.0.1", port).apply { soTimeout = 30_000 }
        private val input = socket.getInputStream()

        /** GETs [path]; returns the status code and the body. */
        fun get(path: String): Pair<Int, String> {
            socket.getOutputStream().write("GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".toByteArray())
            val head = generateSequence { headerLine() }.takeWhile { it.isNotEmpty() }.toList()
            val length = head.firstOrNull { it.lowercase().startsWith("content-length:") }?.substringAfter(':')?.trim()?.toInt() ?: 0
            return head.first().split(' ')[1].toInt() to String(input.readNBytes(length))
        }

        private fun headerLine(): String {
            val line = StringBuilder()
            while (true) {
                val c = input.read()
                check(c >= 0) { "the metrics server closed the connection" }
                if (c == '\n'.code) return line.toString().trimEnd('\r')
                line.append(c.toChar())
            }
        }

        override fun close() = socket.close()
    }
}
