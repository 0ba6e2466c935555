package io.jcluster.ipc

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import java.nio.file.Files

/**
 * A server and a client connection in this JVM over a socket in a fresh 0700 directory named after
 * [prefix]; [block] gets (client, server), and both are closed afterwards.
 */
internal suspend fun withConnectedPair(prefix: String, receiveQueueCapacity: Int = 1024, block: suspend (IpcConnection, IpcConnection) -> Unit) {
    val dir = Files.createTempDirectory(prefix)
    try {
        IpcServer.bind(dir.resolve("s.sock")).use { server ->
            coroutineScope {
                val accepted = async(Dispatchers.IO) { server.accept(IpcOptions(name = "server", receiveQueueCapacity = receiveQueueCapacity)) }
                Ipc.connect(server.path, IpcOptions(name = "client")).use { client ->
                    accepted.await().use { block(client, it) }
                }
            }
        }
    } finally {
        dir.toFile().deleteRecursively()
    }
}
