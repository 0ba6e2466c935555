package io.jcluster.ipc

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.net.InetAddress
import java.net.InetSocketAddress
import java.nio.ByteBuffer
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel

/** `SocketPeek.peek`: the bytes a client sent, seen without being consumed. */
class SocketPeekSpec : FunSpec({
    timeout = 10_000

    fun pair(): Pair<SocketChannel, SocketChannel> = ServerSocketChannel.open().bind(InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).use { server ->
        val client = SocketChannel.open(server.localAddress)
        client to server.accept()
    }

    fun text(buffer: ByteBuffer) = String(ByteArray(buffer.flip().remaining()).also { buffer.get(it) })

    test("peeked bytes are still there for the next read") {
        val (client, accepted) = pair()
        client.use { accepted.use {
            client.write(ByteBuffer.wrap("GET / HTTP/1.1\r\n".toByteArray()))
            val peeked = ByteBuffer.allocateDirect(64)
            SocketPeek.peek(accepted, peeked) shouldBe 16
            text(peeked) shouldBe "GET / HTTP/1.1\r\n"
            val read = ByteBuffer.allocate(64)
            accepted.read(read)
            text(read) shouldBe "GET / HTTP/1.1\r\n"
        } }
    }

    test("a non-blocking channel with nothing to read peeks 0; a closed client peeks -1; the room is a bound") {
        val (client, accepted) = pair()
        accepted.use {
            accepted.configureBlocking(false)
            SocketPeek.peek(accepted, ByteBuffer.allocateDirect(8)) shouldBe 0
            client.write(ByteBuffer.wrap("0123456789".toByteArray()))
            client.close()
            SocketPeek.peek(accepted, ByteBuffer.allocateDirect(4)) shouldBe 4
            accepted.read(ByteBuffer.allocate(64)) shouldBe 10
            SocketPeek.peek(accepted, ByteBuffer.allocateDirect(4)) shouldBe -1
        }
    }
})
