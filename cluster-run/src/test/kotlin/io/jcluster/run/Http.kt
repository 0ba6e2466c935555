package io.jcluster.run

import io.kotest.assertions.withClue
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.isActive
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.long
import java.io.BufferedInputStream
import java.io.DataInputStream
import java.net.InetSocketAddress
import java.net.Socket
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/** Client side of the framework apps: every app answers `GET /` with `pid=<its pid>` in its body. */
internal object Http {
    private val pid = Regex("pid=(\\d+)")

    /**
     * One `Connection: close` request; its body (a non-200 fails). The body is read by its
     * `Content-Length` (or chunks), not to the end of the stream: Helidon 4.5 answers `Connection: close`
     * but leaves the connection open for seconds (it does so without jcluster too).
     */
    fun get(port: Int, path: String = "/"): String = Socket().use { socket ->
        socket.soTimeout = 10_000
        socket.connect(InetSocketAddress("127.0.0.1", port), 5_000)
        socket.getOutputStream().write("GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".toByteArray())
        val input = DataInputStream(BufferedInputStream(socket.getInputStream()))
        val head = generateSequence { input.line() }.takeWhile { it.isNotEmpty() }.toList()
        check(head.firstOrNull()?.startsWith("HTTP/1.1 200") == true) { "not a 200: ${head.joinToString("\n")}" }
        val length = head.firstOrNull { it.startsWith("content-length:", ignoreCase = true) }?.substringAfter(':')?.trim()?.toInt()
        when {
            length != null -> ByteArray(length).also { input.readFully(it) }.decodeToString()
            head.any { it.equals("transfer-encoding: chunked", ignoreCase = true) } -> chunks(input)
            else -> input.readBytes().decodeToString()
        }
    }

    private fun DataInputStream.line(): String? {
        val out = StringBuilder()
        while (true) {
            val c = read()
            if (c < 0) return if (out.isEmpty()) null else out.toString()
            if (c == '\n'.code) return out.toString().trimEnd('\r')
            out.append(c.toChar())
        }
    }

    private fun chunks(input: DataInputStream): String = buildString {
        while (true) {
            val size = input.line()?.substringBefore(';')?.trim()?.toInt(16) ?: error("the chunked body ended early")
            if (size == 0) return@buildString
            append(ByteArray(size).also { input.readFully(it) }.decodeToString())
            input.line()
        }
    }

    /** The pid that answered one `GET /`. */
    fun pidOf(port: Int): Long =
        get(port).let { body -> pid.find(body)?.groupValues?.get(1)?.toLong() ?: error("no pid= in the answer: $body") }

    /** Asks [port] until [count] different pids answered (the kernel spreads connections at random). */
    suspend fun pids(port: Int, count: Int, timeout: Duration = 30.seconds): Set<Long> = withContext(Dispatchers.IO) {
        val pids = HashSet<Long>()
        withClue({ "answers came from $pids only" }) {
            withTimeout(timeout) { while (pids.size < count) pids += pidOf(port) }
        }
        pids
    }

    /**
     * Runs [during] while [clients] threads keep asking [port], a new connection per request
     * (`Connection: close`: every request goes through the shared accept queue, which is what a
     * reload must hand over); then 300 ms more. The requests served, and the failures.
     */
    suspend fun underLoad(port: Int, clients: Int, during: suspend () -> Unit): Pair<Int, List<String>> = coroutineScope {
        val served = AtomicInteger()
        val failed = ConcurrentLinkedQueue<String>()
        val load = List(clients) {
            async(Dispatchers.IO) {
                while (isActive) runCatching { pidOf(port) }.onSuccess { served.incrementAndGet() }.onFailure { failed += it.toString() }
            }
        }
        try {
            during()
            delay(300.milliseconds)
        } finally {
            load.forEach { it.cancel() }
            runCatching { load.awaitAll() }
        }
        served.get() to failed.toList()
    }
}

/** The control socket's `status` answer (a [io.jcluster.ClusterStats] in a reply). */
internal object Status {
    /** Each worker [status] lists: its pid and its state (`listening` once it serves). */
    fun workers(status: String): Map<Long?, String?> {
        val stats = Json.parseToJsonElement(status).jsonObject["stats"]?.jsonObject ?: error("no stats in $status")
        return stats["workers"]!!.jsonArray.map { it.jsonObject }
            .associate { it["pid"]?.jsonPrimitive?.long to it["state"]?.jsonPrimitive?.content }
    }
}
