package io.jcluster.ops

import io.jcluster.ClusterPlugin
import io.jcluster.ManagedCluster
import io.jcluster.ClusterStats
import io.jcluster.PrimaryState
import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpServer
import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ops.internal.Dashboard
import io.jcluster.ops.internal.PrometheusExposition
import java.net.BindException
import java.net.InetSocketAddress

private val log = KotlinLogging.logger {}

/**
 * `Plugins.metrics(port)`: the JDK's HTTP server in the primary, on [host]:[port] (127.0.0.1 by
 * default), with `/metrics` (by the official Prometheus client's writers: text format 0.0.4, or
 * OpenMetrics when `Accept` asks for it; workers by state, restarts by reason, messages, requests,
 * open connections, per-worker heap/RSS), `/healthz` (200 while the primary
 * runs, has not failed and can admit workers: 503 while its workers' control socket fails to
 * accept) and `/readyz` (200 while every slot has a ready worker and the cluster
 * is neither closing nor failed; 503 otherwise, from the first moment of a graceful close, so that
 * Kubernetes takes the pod out of its Service before the workers drain), and a live web dashboard
 * at `/` whose reload and scale buttons need the token of [dashboardUrl] (logged at start). In the new primary of an
 * upgrade, a port the old one still serves is bound once the old one has exited.
 */
public class MetricsPlugin internal constructor(private val host: String, private val port: Int) : ClusterPlugin {
    override val name: String = "metrics"
    @Volatile private var server: HttpServer? = null
    @Volatile private var dashboard: Dashboard? = null

    /** The address served, with the real port (also after port 0), once the cluster started. */
    public val address: InetSocketAddress? get() = server?.address

    /**
     * The dashboard's address with this start's token (`http://127.0.0.1:P/?token=…`), once the
     * cluster started: whoever has it may reload and scale the cluster, so it is logged, not served.
     */
    public val dashboardUrl: String? get() = dashboard?.url

    override fun onStarting(cluster: ManagedCluster) {
        try {
            serve(cluster)
        } catch (e: BindException) {
            val old = cluster.predecessor?.let { ProcessHandle.of(it).orElse(null) } ?: throw e
            log.info { "metrics: $host:$port is the old primary's (pid ${old.pid()}); bound once it exits" }
            old.onExit().thenRun { runCatching { serve(cluster) }.onFailure { log.warn { "metrics: cannot bind $host:$port: ${it.message}" } } }
        }
    }

    private fun serve(cluster: ManagedCluster) {
        val server = HttpServer.create(InetSocketAddress(host, port), 0)
        val dashboard = Dashboard(cluster, server.address)
        server.createContext("/") { exchange -> exchange.use { respond(cluster, dashboard, it) } }
        server.start()
        this.server = server
        this.dashboard = dashboard
        log.info { "metrics on http://${server.address.hostString}:${server.address.port}/metrics" }
        log.info { "dashboard on ${dashboard.url}" }
    }

    override fun onExit(cluster: ManagedCluster) {
        server?.stop(0)
        dashboard?.close()
    }

    private fun respond(cluster: ManagedCluster, dashboard: Dashboard, exchange: HttpExchange) {
        val path = exchange.requestURI.path
        if (dashboard.serves(path)) return dashboard.respond(exchange) { status, body, type -> send(exchange, status, body, type) }
        if (exchange.requestMethod != "GET" && exchange.requestMethod != "HEAD") return send(exchange, 405, "GET only\n")
        val snapshot = cluster.stats()
        when (path) {
            "/metrics" -> PrometheusExposition.render(snapshot, exchange.requestHeaders.getFirst("Accept")).let { (body, type) -> send(exchange, 200, body, type) }
            "/healthz" -> health(cluster, snapshot)?.let { send(exchange, 503, "$it\n") } ?: send(exchange, 200, "ok\n")
            "/readyz" -> if (snapshot.isReady) send(exchange, 200, "ready\n") else send(exchange, 503, "not ready: ${readiness(snapshot)}\n")
            else -> send(exchange, 404, "not found; try /metrics, /healthz, /readyz, /\n")
        }
    }

    /** Why the primary is not healthy, or null: it failed, or it cannot admit workers (a replacement would never join). */
    private fun health(cluster: ManagedCluster, stats: ClusterStats): String? =
        if (stats.state == PrimaryState.FAILED) "failed" else cluster.primary.admissionProblem?.let { "worker admission failing: $it" }

    private fun readiness(stats: ClusterStats) =
        "${stats.state.name.lowercase()}, ${stats.workers.count { it.active }} of ${stats.wanted} slots ready"

    private fun send(exchange: HttpExchange, status: Int, body: String) = send(exchange, status, body.toByteArray(), "text/plain; charset=utf-8")

    private fun send(exchange: HttpExchange, status: Int, bytes: ByteArray, type: String) {
        exchange.responseHeaders.add("Content-Type", type)
        exchange.sendResponseHeaders(status, if (exchange.requestMethod == "HEAD") -1 else bytes.size.toLong())
        if (exchange.requestMethod != "HEAD") exchange.responseBody.write(bytes)
    }
}
