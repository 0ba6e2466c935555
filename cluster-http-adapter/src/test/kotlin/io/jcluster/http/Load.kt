package io.jcluster.http

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.concurrent.ConcurrentLinkedQueue

/** A response as a client saw it: which worker answered, and when the request went out and came back ([System.nanoTime]). */
data class Answer(val workerId: Int, val sentAt: Long, val receivedAt: Long)

/**
 * Client loops against one port, bounded in count: [KEEP_ALIVE_LOOPS] loops over the JDK's
 * `HttpClient` (keep-alive, pooled connections), [RAW_KEEP_ALIVE_LOOPS] over one raw connection at
 * a time (keep-alive, as wrk does it), and one that opens a connection per request
 * (`Connection: close`); every third request takes [SLOW_MILLIS]. Every answer and every error is
 * kept. The raw loops matter: the `HttpClient` quietly retries a GET whose pooled connection the
 * server closed under it, so a server that drops a request could pass with it alone.
 */
class Load(private val port: Int) {
    val answers = ConcurrentLinkedQueue<Answer>()
    val errors = ConcurrentLinkedQueue<String>()
    private val client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build()

    @Volatile private var running = true

    fun start(scope: CoroutineScope): Job = scope.launch(Dispatchers.IO) {
        repeat(KEEP_ALIVE_LOOPS) { launch { loop { path -> pooled(path) } } }
        repeat(RAW_KEEP_ALIVE_LOOPS) { launch { rawKeepAlive() } }
        launch { loop { path -> RawConnection(port).use { it.get(path, close = true).body } } }
    }

    override fun toString() = "port $port: ${answers.size} answers (by worker ${answers.groupingBy { it.workerId }.eachCount()}), errors ${errors.toList()}"

    /** Ends the loops after the requests they have under way. */
    fun stop() {
        running = false
    }

    private fun loop(request: (String) -> String) {
        var n = 0
        while (running && n < MAX_REQUESTS) {
            val path = if (n++ % 3 == 0) "/?delay=$SLOW_MILLIS" else "/"
            val sentAt = System.nanoTime()
            try {
                answers += Answer(workerIdIn(request(path)), sentAt, System.nanoTime())
            } catch (e: Exception) {
                errors += "$path on port $port: $e"
            }
        }
    }

    /** One connection until the server answers `Connection: close`, then the next; nothing is retried. */
    private fun rawKeepAlive() {
        var open: RawConnection? = null
        try {
            loop { path ->
                val connection = open ?: RawConnection(port).also { open = it }
                val response = try {
                    connection.get(path)
                } catch (e: Exception) {
                    connection.close().also { open = null }
                    throw e
                }
                if (response.closes) connection.close().also { open = null }
                check(response.status == 200) { "status ${response.status}" }
                response.body
            }
        } finally {
            open?.close()
        }
    }

    private fun pooled(path: String): String {
        val response = client.send(HttpRequest.newBuilder(URI("http://127.0.0.1:$port$path")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() == 200) { "status ${response.statusCode()}" }
        return response.body()
    }

    companion object {
        const val KEEP_ALIVE_LOOPS = 3
        const val RAW_KEEP_ALIVE_LOOPS = 2
        const val SLOW_MILLIS = 200
        const val MAX_REQUESTS = 2_000

        /** The worker id in a [TestHandlers.WHO_AM_I] body. */
        fun workerIdIn(body: String): Int = body.trim().split(' ')[1].toInt()
    }
}
