package io.jcluster.bench

import java.util.concurrent.TimeUnit

/** What one wrk run measured; a request that failed is a socket error (connect, read, write, timeout) or a non-2xx/3xx answer. */
data class WrkResult(
    val requestsPerSecond: Double,
    val requests: Long,
    val p50Millis: Double,
    val p99Millis: Double,
    val socketErrors: Long,
    val non2xx: Long,
    val errorDetail: String,
) {
    val failed: Long get() = socketErrors + non2xx

    override fun toString() = "%.0f req/s, p50 %.2f ms, p99 %.2f ms, %d requests, failed %d (%s)"
        .format(requestsPerSecond, p50Millis, p99Millis, requests, failed, errorDetail)
}

/**
 * Runs wrk (`--latency`, by default `-t2 -c64`) against a URL, with keep-alive or with
 * `Connection: close` on every request; with [script], wrk runs that Lua script (`-s`).
 */
class Wrk(private val url: String, private val threads: Int = THREADS, private val connections: Int = CONNECTIONS, private val script: java.nio.file.Path? = null) {
    /** A run of [seconds], waited for. */
    fun run(seconds: Int, close: Boolean): WrkResult = parse(start(seconds, close).finish(seconds + 30L))

    /** A run of at most [seconds] that [stop] ends early; wrk prints its figures on SIGINT. */
    fun start(seconds: Int, close: Boolean): Process {
        val command = listOf("wrk", "-t$threads", "-c$connections", "-d${seconds}s", "--latency") +
            (if (close) listOf("-H", "Connection: close") else emptyList()) +
            (script?.let { listOf("-s", it.toString()) } ?: emptyList()) + url
        return ProcessBuilder(command).redirectErrorStream(true).start()
    }

    /** Load (for at most [maxSeconds]) around [action]: wrk starts, [action] runs, wrk stops; wrk never outlives the call. */
    fun <T> around(maxSeconds: Int, close: Boolean, action: () -> T): Pair<WrkResult, T> {
        val run = start(maxSeconds, close)
        try {
            val value = action()
            return stop(run) to value
        } finally {
            run.destroyForcibly()
        }
    }

    fun stop(run: Process): WrkResult {
        ProcessBuilder("kill", "-INT", run.pid().toString()).start().waitFor()
        return parse(run.finish(30))
    }

    private fun Process.finish(timeoutSeconds: Long): String {
        val output = inputStream.bufferedReader().use { reader ->
            val text = StringBuilder()
            val readThread = Thread { text.append(reader.readText()) }.apply { start() }
            val done = waitFor(timeoutSeconds, TimeUnit.SECONDS)
            if (!done) destroyForcibly()
            readThread.join(5_000)
            check(done) { "wrk did not finish within $timeoutSeconds s" }
            text.toString()
        }
        check(exitValue() == 0) { "wrk failed (exit ${exitValue()}):\n$output" }
        return output
    }

    companion object {
        const val THREADS = 2
        const val CONNECTIONS = 64

        /** Reads wrk 4's report (`--latency`): requests/s, the latency distribution, errors. */
        fun parse(output: String): WrkResult {
            fun find(regex: String) = Regex(regex).find(output)?.groupValues
            val socket = find("""Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)""")?.drop(1)?.map { it.toLong() }
                ?: listOf(0L, 0, 0, 0)
            val non2xx = find("""Non-2xx or 3xx responses: (\d+)""")?.get(1)?.toLong() ?: 0
            return WrkResult(
                requestsPerSecond = checkNotNull(find("""Requests/sec:\s+([\d.]+)""")) { "no Requests/sec in wrk's output:\n$output" }[1].toDouble(),
                requests = find("""(\d+) requests in""")?.get(1)?.toLong() ?: 0,
                p50Millis = latency(output, "50%"),
                p99Millis = latency(output, "99%"),
                socketErrors = socket.sum(),
                non2xx = non2xx,
                errorDetail = "connect ${socket[0]}, read ${socket[1]}, write ${socket[2]}, timeout ${socket[3]}, non-2xx $non2xx",
            )
        }

        private fun latency(output: String, percentile: String): Double {
            val (number, unit) = Regex("""\s$percentile\s+([\d.]+)(us|ms|s)\b""").find(output)?.destructured ?: return Double.NaN
            return number.toDouble() * when (unit) {
                "us" -> 1e-3
                "ms" -> 1.0
                else -> 1e3
            }
        }
    }
}
