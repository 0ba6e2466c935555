package io.jcluster

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.serialization.Serializable
import java.net.InetSocketAddress
import java.nio.ByteBuffer
import kotlinx.coroutines.coroutineScope

/** `udp` worker → primary: it shares the UDP socket on [port]. */
@Serializable
data class UdpBound(val workerId: Int, val port: Int)

/**
 * The `udp` behaviour of [TestWorker]: shares a UDP socket on port 0 of 127.0.0.1 with the other
 * workers and answers each datagram `"<worker id> <payload>"` to its sender, a few milliseconds later
 * (a busy worker, so that the other one reads the next datagrams).
 */
object UdpEcho {
    suspend fun run(worker: CurrentWorker) = coroutineScope {
        val socket = Cluster.listenDatagram(0, "127.0.0.1")
        worker.onDisconnect { socket.close() }
        worker.send(UdpBound(worker.id, socket.port))
        launch(Dispatchers.IO) {
            val buffer = ByteBuffer.allocate(MAX_DATAGRAM)
            runCatching { // ends once the socket closes
                while (true) {
                    val sender = socket.channel.receive(buffer.clear()) as InetSocketAddress
                    val payload = String(buffer.array(), 0, buffer.position())
                    Thread.sleep(BUSY_MILLIS)
                    socket.channel.send(ByteBuffer.wrap("${worker.id} $payload".toByteArray()), sender)
                }
            }
        }
    }

    private const val MAX_DATAGRAM = 512
    private const val BUSY_MILLIS = 3L
}
