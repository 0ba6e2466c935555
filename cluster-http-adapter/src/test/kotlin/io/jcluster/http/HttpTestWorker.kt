package io.jcluster.http

import io.jcluster.Cluster
import io.jcluster.ListenOptions
import io.jcluster.SharingStrategy
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.Serializable

/** [HttpTestWorker] → primary: it serves HTTP on [port] under [strategy]. */
@Serializable
data class Serving(val workerId: Int, val strategy: String, val port: Int)

/**
 * The worker `main` of [ClusterHttpContract]: serves [TestHandlers]' handler with the adapter named by
 * `TEST_ADAPTER`, once per strategy, each with `listen(0)` on 127.0.0.1, and tells the primary the
 * ports. It then runs until the primary disconnects or kills it.
 */
object HttpTestWorker {
    val STRATEGIES = listOf(SharingStrategy.SHARED, SharingStrategy.ROUND_ROBIN, SharingStrategy.REUSE_PORT)

    @JvmStatic
    fun main(args: Array<String>) = runBlocking {
        val adapter = AdapterUnderTest.named(System.getenv("TEST_ADAPTER"))
        for (strategy in STRATEGIES) {
            val server = adapter.serve(ListenOptions(strategy = strategy))
            Cluster.worker.send(Serving(Cluster.worker.id, strategy.configName, server.port))
        }
    }
}

private val RunningHttpServer.port get() = (address as java.net.InetSocketAddress).port
