package io.jcluster.http.internal

import io.jcluster.CurrentWorker
import io.jcluster.WorkerLoad
import io.jcluster.http.RunningHttpServer
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicBoolean

/**
 * The load of every server this worker ran, reported to the primary with each heartbeat (the stats,
 * the control socket and the metrics show it). Stopped servers stay: their requests still count.
 */
internal object ServerLoad {
    private val servers = CopyOnWriteArrayList<RunningHttpServer>()
    private val registered = AtomicBoolean()

    fun add(worker: CurrentWorker, server: RunningHttpServer) {
        servers += server
        if (registered.compareAndSet(false, true)) worker.addLoadSource(::sum)
    }

    private fun sum(): WorkerLoad = servers.fold(WorkerLoad()) { total, server ->
        server.stats.let { total + WorkerLoad(it.requests, it.openConnections) }
    }
}
