package io.jcluster

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.Serializable
import java.nio.ByteBuffer
import java.nio.file.Path

/** What each worker of [DslTestWorker] tells its primary once it serves. */
@Serializable
data class DslReport(val workerId: Int, val slot: Int?, val cwd: String, val user: String, val environment: String, val ports: List<Int>)

/**
 * The configuration the DSL specs and their workers share: the same function runs in both roles,
 * as a real program's `main` would. `production` wants 3 workers; `development` would want 1.
 */
fun ClusterConfig.dslTestConfig() {
    workers = 2
    listen(0, "127.0.0.1")
    env("production") { workers = 3 }
    `in`("development") { set("workers", 1) }
    settings { it.copy(mainClass = DslTestWorker::class.java.name, args = emptyList(), jvmArgs = QUICK_BOOT, fastStart = false) }
}

/** The app of the DSL specs: answers each connection with its worker id, then reports to the primary. */
object DslTestApp : WorkerApp {
    override suspend fun serve(context: WorkerContext) {
        val ports = context.addresses.map { address ->
            val listener = Cluster.listen(address, context.options) as ClusterListener.Socket
            Thread {
                runCatching { while (true) listener.channel.accept().use { it.write(ByteBuffer.wrap("${context.worker.id}\n".toByteArray())) } }
            }.apply { isDaemon = true }.start()
            listener.listening()
            listener.port
        }
        val user = ProcessBuilder("id", "-u").start().inputStream.bufferedReader().readText().trim()
        context.worker.send(DslReport(context.worker.id, context.worker.slot, Path.of("").toAbsolutePath().toString(), user, context.environment, ports))
    }
}

/** The worker `main` of the DSL specs: the same `cluster { }` call a real program makes. */
object DslTestWorker {
    @JvmStatic
    fun main(args: Array<String>) = runBlocking { cluster(DslTestApp) { dslTestConfig() } }
}
