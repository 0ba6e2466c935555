package io.jcluster

import kotlinx.coroutines.runBlocking
import java.nio.ByteBuffer
import java.nio.channels.SocketChannel

private const val PORT = "FAILFAST_PORT"
private const val STRATEGY = "FAILFAST_STRATEGY"

/**
 * The configuration of [FailFastBindSpec]'s clusters, in the primary and in its workers: two workers
 * serve [DslTestApp] on 127.0.0.1:[port] under [strategy], which reach the workers by environment.
 */
fun ClusterConfig.fixedPortConfig(port: Int, strategy: SharingStrategy) {
    workers = 2
    this.strategy = strategy
    listen(port, "127.0.0.1")
    settings {
        it.copy(
            mainClass = FailFastWorker::class.java.name, args = emptyList(), jvmArgs = QUICK_BOOT, fastStart = false,
            environment = it.environment + mapOf(PORT to "$port", STRATEGY to strategy.configName),
        )
    }
}

/** Answers each connection with its worker id under any strategy, then reports its port (as a [DslReport]). */
object FixedPortApp : WorkerApp {
    override suspend fun serve(context: WorkerContext) {
        val id = context.worker.id
        fun answer(connection: SocketChannel) = connection.use { it.write(ByteBuffer.wrap("$id\n".toByteArray())) }
        val listener = Cluster.listen(context.addresses.single(), context.options)
        when (listener) {
            is ClusterListener.Socket -> Thread { runCatching { while (true) answer(listener.channel.accept()) } }.apply { isDaemon = true }.start()
            is ClusterListener.Connections -> listener.onConnection { answer(it); true }
        }
        listener.listening()
        context.worker.send(DslReport(id, context.worker.slot, "", "", context.environment, listOf(listener.port)))
    }
}

/** The worker `main` of [fixedPortConfig]. */
object FailFastWorker {
    @JvmStatic
    fun main(args: Array<String>) = runBlocking {
        cluster(FixedPortApp) { fixedPortConfig(System.getenv(PORT).toInt(), SharingStrategy.parse(System.getenv(STRATEGY))) }
    }
}

/** A primary through the `cluster { }` main that listens on the port in its first argument (the spec runs it where it cannot bind it). */
object FailFastPrimary {
    @JvmStatic
    fun main(args: Array<String>) = runBlocking { cluster(FixedPortApp) { fixedPortConfig(args[0].toInt(), SharingStrategy.SHARED) } }
}
