package io.jcluster.http.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.Cluster
import io.jcluster.http.RunningHttpServer
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.launch
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicBoolean
import kotlin.time.Duration

private val log = KotlinLogging.logger {}

/**
 * The servers that `HttpAdapter.serve(port)` started in this worker, stopped all at once when the
 * worker disconnects. One disconnect hook for all of them: hooks run one after another, and a server
 * whose stop waited for another's would go on answering keep-alive requests meanwhile, and the
 * stops' times would add up against the primary's disconnect timeout.
 */
internal object WorkerServers {
    private val servers = ConcurrentHashMap<RunningHttpServer, Duration>()

    private val hooked = AtomicBoolean()

    fun stopOnDisconnect(server: RunningHttpServer, timeout: Duration) {
        servers[server] = timeout
        if (hooked.compareAndSet(false, true)) Cluster.worker.onDisconnect { stopAll() }
    }

    /**
     * Starts the server [start] makes (on a `rehearsalListener()`) and closes it at once: in a warm
     * standby, the classes, threads' code and JIT work of a server start are then done before its
     * slot comes. A rehearsal that fails only costs that head start.
     */
    fun rehearse(start: () -> RunningHttpServer) {
        runCatching { start().close() }.onFailure { log.debug { "the standby's rehearsal of its server failed: $it" } }
    }

    private suspend fun stopAll() = coroutineScope {
        servers.forEach { (server, timeout) -> launch { server.stop(timeout) } }
    }
}
