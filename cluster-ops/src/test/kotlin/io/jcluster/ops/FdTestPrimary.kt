package io.jcluster.ops

import io.jcluster.Cluster
import io.jcluster.ClusterListener
import io.jcluster.cluster
import io.jcluster.ClusterPlugin
import io.jcluster.ManagedCluster
import io.jcluster.WorkerApp
import io.jcluster.WorkerContext
import java.nio.ByteBuffer
import java.nio.file.Path
import kotlinx.coroutines.runBlocking

/**
 * The primary of [FdExhaustionSpec] and [PeerFloodSpec], and its workers: [opsTestConfig]'s cluster
 * (strategy from `JCLUSTER_SCHED_POLICY`), plus in the primary the control socket at `FD_CONTROL`
 * and the metrics plugin on a free port, printed as `METRICS <port>`.
 */
object FdTestPrimary {
    @JvmStatic
    fun main(args: Array<String>) = runBlocking {
        cluster(FdTestApp) {
            opsTestConfig()
            settings { it.copy(mainClass = FdTestPrimary::class.java.name) }
            if (isPrimary) {
                use(Plugins.control(Path.of(System.getenv("FD_CONTROL"))))
                val metrics = Plugins.metrics(0)
                use(metrics)
                use(object : ClusterPlugin {
                    override val name = "metrics-port"
                    override fun onStarting(cluster: ManagedCluster) = println("METRICS ${metrics.address?.port}")
                })
            }
        }
    }
}

/** Answers each connection with its worker id, whether the worker accepts (shared) or is handed connections (round-robin). */
object FdTestApp : WorkerApp {
    override suspend fun serve(context: WorkerContext) {
        val id = ByteBuffer.wrap("${context.worker.id}\n".toByteArray())
        for (address in context.addresses) {
            val listener = Cluster.listen(address, context.options)
            when (listener) {
                is ClusterListener.Socket -> Thread {
                    runCatching { while (true) listener.channel.accept().use { it.write(id.duplicate()) } }
                }.apply { isDaemon = true }.start()
                is ClusterListener.Connections -> listener.onConnection { connection -> connection.use { it.write(id.duplicate()) }; true }
            }
            listener.listening()
        }
    }
}
