package io.jcluster.fresh

import java.net.InetSocketAddress
import java.net.Socket
import java.util.Collections
import java.util.concurrent.atomic.AtomicInteger

/** Who answered one request: the app names its worker and that worker's pid. */
internal data class Answer(val worker: Int, val pid: Long)

/** One request at a time on a new connection each (`Connection: close`), so every worker gets its share. */
internal object Http {
    private val BODY = Regex("""hello from worker (\d+) pid (\d+)""")

    /** `GET /` on 127.0.0.1:[port]: the answer, or an exception saying what went wrong. */
    fun get(port: Int): Answer = Socket().use { socket ->
        socket.connect(InetSocketAddress("127.0.0.1", port), 2000)
        socket.soTimeout = 10_000
        socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".toByteArray())
        val response = socket.getInputStream().readAllBytes().decodeToString()
        check(response.startsWith("HTTP/1.1 200")) { "not a 200: ${response.lineSequence().firstOrNull()}" }
        val match = BODY.find(response) ?: error("no worker named in: $response")
        Answer(match.groupValues[1].toInt(), match.groupValues[2].toLong())
    }
}

/** [threads] loops of [Http.get] on [port] until [stop]: each answer is kept, each failure counted. */
internal class Load(private val port: Int, threads: Int = 2) {
    private val answered: MutableList<Answer> = Collections.synchronizedList(mutableListOf())

    /** The answers so far, in order (a copy: the loops go on adding). */
    val answers: List<Answer> get() = synchronized(answered) { answered.toList() }

    /** Requests that got no answer (refused, reset, timed out or not a 200), and why. */
    val failures: MutableList<String> = Collections.synchronizedList(mutableListOf())
    private val running = AtomicInteger(1)
    private val loops = List(threads) { Thread(::loop, "fresh-load-$it").apply { isDaemon = true; start() } }

    private fun loop() {
        while (running.get() == 1) {
            runCatching { Http.get(port) }.onSuccess { answered += it }.onFailure { failures += it.toString() }
        }
    }

    /** Stops the loops once their requests in flight are done. */
    fun stop() {
        running.set(0)
        loops.forEach { it.join(15_000) }
    }
}
