package io.jcluster.ipc

import kotlinx.coroutines.withTimeout
import java.nio.file.Files
import kotlin.time.Duration.Companion.seconds

/**
 * Binds a server in this JVM, starts [PeerMain] in [mode] in a second one, and runs [block] with the
 * accepted connection. Everything it started is closed or killed on the way out.
 */
suspend fun <T> withPeer(mode: String, options: IpcOptions = IpcOptions(name = "peer"), block: suspend (IpcConnection, PeerJvm) -> T): T {
    val dir = Files.createTempDirectory("jcluster-ipc-spec")
    val server = IpcServer.bind(dir.resolve("s.sock"), options)
    try {
        PeerJvm(server.path, mode).use { peer ->
            val connection = withTimeout(30.seconds) { server.accept() }
            connection.use { return block(it, peer) }
        }
    } finally {
        server.close()
        dir.toFile().deleteRecursively()
    }
}
