package io.jcluster.samples

import io.jcluster.Cluster
import io.jcluster.http.JdkHttp
import io.jcluster.ops.Plugins
import io.jcluster.startCluster
import kotlinx.coroutines.runBlocking
import java.nio.file.Path

/**
 * A cluster for the `logs` and `top` specs: two workers that each print a line on stdout and one on
 * stderr as they boot, then serve HTTP on a free port; the primary uses the control plugin, and the
 * logger plugin (after it, so that it replaces the output the control plugin found) with a directory
 * as argument. It prints `control socket PATH` once started, and its workers' lines (without the logger).
 */
object PrintingCluster {
    @JvmStatic
    fun main(args: Array<String>) = runBlocking {
        if (System.getProperty("kotlin-logging.logStartupMessage") == null) System.setProperty("kotlin-logging.logStartupMessage", "false")
        if (Cluster.isWorker) {
            println("boot ${Cluster.worker.id} out")
            System.err.println("boot ${Cluster.worker.id} err")
            JdkHttp.serve(0, "127.0.0.1") { exchange -> exchange.use { it.sendResponseHeaders(204, -1) } }
            return@runBlocking
        }
        val terminal = System.out // the logger plugin takes System.out to master.log
        val control = Plugins.control()
        val logger = args.getOrNull(0)?.let { Plugins.logger(Path.of(it)) }
        val cluster = startCluster {
            workers = 2
            use(control)
            logger?.let { use(it) }
        }
        terminal.println("control socket ${control.path}")
        cluster.awaitClosed()
        Unit
    }
}
