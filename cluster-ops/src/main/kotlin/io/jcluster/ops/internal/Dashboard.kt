package io.jcluster.ops.internal

import com.sun.net.httpserver.HttpExchange
import io.jcluster.AdminProtocol
import io.jcluster.ClusterStats
import io.jcluster.ManagedCluster
import java.net.InetSocketAddress
import java.net.URLDecoder
import java.security.MessageDigest
import java.security.SecureRandom
import java.util.HexFormat
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout

/**
 * The metrics plugin's web dashboard: the page (`/`), its live data (`/stats.json`, the same
 * [ClusterStats] as `jcluster stats`), and two actions, `POST /scale?workers=N` and `POST /reload`.
 *
 * Who may act: the caller must show [token] (random per start, given only in the primary's log) in
 * an `X-Jcluster-Token` header, which an HTML form cannot send and a cross-origin script cannot send
 * without a preflight we never answer. Every dashboard request must name this server in `Host`
 * (a DNS-rebinding page names its own domain), and an action's `Origin`, when sent, must be ours.
 */
internal class Dashboard(private val cluster: ManagedCluster, private val address: InetSocketAddress) {
    /** The secret an action must carry. */
    val token: String = HexFormat.of().formatHex(ByteArray(16).also { SecureRandom().nextBytes(it) })
    private val hosts = hostNames(address)
    private val reloads = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    /** The page's address with the token, as the primary logs it. */
    val url: String get() = "http://${hosts.first()}/?token=$token"

    fun serves(path: String): Boolean = path in PATHS

    fun respond(exchange: HttpExchange, send: (Int, ByteArray, String) -> Unit) {
        val text = { status: Int, body: String -> send(status, "$body\n".toByteArray(), TEXT) }
        if (exchange.requestHeaders.getFirst("Host") !in hosts) return text(403, "forbidden: unknown Host")
        val method = exchange.requestMethod
        when (exchange.requestURI.path) {
            "/", "/dashboard" -> if (method == "GET" || method == "HEAD") send(200, PAGE, "text/html; charset=utf-8") else text(405, "GET only")
            "/stats.json" -> send(200, AdminProtocol.json.encodeToString(ClusterStats.serializer(), cluster.stats()).toByteArray(), JSON)
            else -> if (method != "POST") text(405, "POST only") else authorise(exchange)?.let { text(403, it) } ?: act(exchange, text)
        }
    }

    fun close() = reloads.cancel()

    /** Why [exchange] may not act, or null. */
    private fun authorise(exchange: HttpExchange): String? {
        val origin = exchange.requestHeaders.getFirst("Origin")
        if (origin != null && origin.removePrefix("http://") !in hosts) return "forbidden: cross-origin request from $origin"
        val shown = exchange.requestHeaders.getFirst(TOKEN_HEADER) ?: return "forbidden: no $TOKEN_HEADER header (the token is in the primary's log line)"
        return if (MessageDigest.isEqual(shown.toByteArray(), token.toByteArray())) null else "forbidden: wrong token"
    }

    private fun act(exchange: HttpExchange, text: (Int, String) -> Unit) = when (exchange.requestURI.path) {
        "/scale" -> {
            val workers = query(exchange)["workers"]?.toIntOrNull()
            if (workers == null || workers < 0) text(400, "scale needs ?workers=N (N >= 0)")
            else runCatching { runBlocking { withTimeout(10.seconds) { cluster.scaleTo(workers) } } }.fold(
                { r -> r.refused?.let { text(409, "refused: $it") } ?: text(200, "scaled from ${r.from} to ${r.to}") },
                { text(409, "cannot scale: ${it.message}") })
        }
        else -> { // a reload outlasts any sensible request: started here, followed on the page
            reloads.launch { runCatching { cluster.restart(null) } }
            text(202, "reload started")
        }
    }

    private fun query(exchange: HttpExchange): Map<String, String> =
        (exchange.requestURI.rawQuery ?: "").split('&').filter { '=' in it }
            .associate { URLDecoder.decode(it.substringBefore('='), Charsets.UTF_8) to URLDecoder.decode(it.substringAfter('='), Charsets.UTF_8) }

    private companion object {
        val PATHS = setOf("/", "/dashboard", "/stats.json", "/scale", "/reload")
        const val TOKEN_HEADER = "X-Jcluster-Token"
        const val TEXT = "text/plain; charset=utf-8"
        const val JSON = "application/json"
        val PAGE: ByteArray = Dashboard::class.java.getResourceAsStream("dashboard.html")!!.use { it.readBytes() }

        /**
         * The `Host` values that name this server: its address; on loopback or the wildcard address,
         * the loopback names (from another machine, the wildcard's dashboard is refused: no token travels in clear).
         */
        fun hostNames(address: InetSocketAddress): List<String> {
            val port = address.port
            val ip = address.address
            val loopback = listOf("127.0.0.1:$port", "localhost:$port", "[::1]:$port")
            val own = if (ip.hostAddress.contains(':')) "[${ip.hostAddress}]:$port" else "${ip.hostAddress}:$port"
            return when {
                ip.isAnyLocalAddress -> loopback
                ip.isLoopbackAddress -> (listOf(own) + loopback).distinct()
                else -> listOf(own)
            }
        }
    }
}
