package io.jcluster.bench

import io.jcluster.AdminProtocol
import io.jcluster.AdminReply
import io.jcluster.AdminRequest
import io.jcluster.ClusterStats
import java.io.IOException
import java.net.UnixDomainSocketAddress
import java.nio.channels.Channels
import java.nio.channels.SocketChannel
import java.nio.file.Path

/** bin/hello-cluster's admin socket, spoken to directly (one connection per request, as `bin/jcluster` does). */
class AdminSocket(private val path: Path) {
    fun request(request: AdminRequest): AdminReply =
        SocketChannel.open(UnixDomainSocketAddress.of(path)).use { channel ->
            val out = Channels.newOutputStream(channel)
            out.write((AdminProtocol.json.encodeToString(AdminRequest.serializer(), request) + "\n").toByteArray())
            out.flush()
            val line = Channels.newInputStream(channel).bufferedReader().readLine() ?: throw IOException("the admin socket $path closed without a reply")
            AdminProtocol.json.decodeFromString(AdminReply.serializer(), line)
        }

    fun stats(): ClusterStats = request(AdminRequest("stats")).stats ?: throw IOException("no stats in the reply of $path")
}
