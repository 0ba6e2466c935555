package io.jcluster.ipc

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import java.io.BufferedReader
import java.io.InputStreamReader
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.Socket
import java.nio.channels.ServerSocketChannel
import kotlin.time.Duration.Companion.seconds

class IpcTwoJvmSpec : FunSpec({
    timeout = 60_000

    fun loopbackListener(): ServerSocketChannel = ServerSocketChannel.open().bind(InetSocketAddress(InetAddress.getLoopbackAddress(), 0))

    fun readLine(socket: Socket): String = BufferedReader(InputStreamReader(socket.getInputStream())).readLine()

    test("typed messages of a sealed protocol arrive in order, both ways") {
        withPeer("serve") { connection, peer ->
            val channel = connection.open(Lane.USER, JsonCodec(TestMessage.serializer()))
            val sent = (0 until 5_000).map { if (it % 3 == 0) TestMessage.Number(it, -it.toLong()) else TestMessage.Text(it, "m$it") }
            coroutineScope {
                val echoes = async { channel.incoming.take(sent.size + 1_000).toList().map { it.message } }
                sent.forEach { channel.send(it) }
                channel.send(TestMessage.Burst(1_000))
                val received = echoes.await()
                received.take(sent.size) shouldContainExactly sent
                received.drop(sent.size).map { (it as? TestMessage.Text)?.seq ?: (it as TestMessage.Number).seq } shouldContainExactly (0 until 1_000).toList()
            }
            connection.peer.pid shouldBe peer.pid
        }
    }

    test("call gets its reply, times out without one, and reports the peer's error") {
        withPeer("serve") { connection, _ ->
            val channel = connection.open(Lane.USER, JsonCodec(TestMessage.serializer()))
            channel.call(TestMessage.Text(1, "ping")).message shouldBe TestMessage.Text(1, "ping")
            shouldThrow<IpcTimeoutException> { channel.call(TestMessage.IgnoreMe, timeoutMillis = 300) }.message shouldContain "IgnoreMe"
            shouldThrow<RemoteCallException> { channel.call(TestMessage.FailMe) }.message shouldContain "asked to fail"
            channel.call(TestMessage.Text(2, "still alive")).message shouldBe TestMessage.Text(2, "still alive")
        }
    }

    test("a listening socket passed to the peer accepts a real TCP connection there") {
        withPeer("serve") { connection, peer ->
            val channel = connection.open(Lane.USER, JsonCodec(TestMessage.serializer()))
            loopbackListener().use { listener ->
                channel.send(TestMessage.ServeListener, Handle.TcpListener(listener))
                Socket(InetAddress.getLoopbackAddress(), (listener.localAddress as InetSocketAddress).port).use { client ->
                    readLine(client) shouldBe "hello from pid ${peer.pid}"
                }
            }
        }
    }

    test("an accepted connection passed to the peer is served there") {
        withPeer("serve") { connection, peer ->
            val channel = connection.open(Lane.USER, JsonCodec(TestMessage.serializer()))
            loopbackListener().use { listener ->
                Socket(InetAddress.getLoopbackAddress(), (listener.localAddress as InetSocketAddress).port).use { client ->
                    listener.accept().use { accepted -> channel.send(TestMessage.ServeConnection, Handle.TcpConnection(accepted)) }
                    readLine(client) shouldBe "served by pid ${peer.pid}"
                }
            }
        }
    }

    test("1,000 handle transfers leak no file descriptor on either side") {
        withPeer("serve") { connection, _ ->
            val channel = connection.open(Lane.USER, JsonCodec(TestMessage.serializer()))
            suspend fun peerFds() = channel.call(TestMessage.CountFds).message as TestMessage.FdCount
            loopbackListener().use { listener ->
                repeat(50) { channel.send(TestMessage.DropHandle, Handle.TcpListener(listener)) } // warm up: lazily opened JDK files
                // Each reply also says the sends before it are read: the copies queued sends hold are closed.
                val peerBefore = settledFdCount { peerFds().count }
                val ownBefore = settledFdCount()
                repeat(1_000) { channel.send(TestMessage.DropHandle, Handle.TcpListener(listener)) }
                awaitFdCount(peerBefore, clue = { peerFds().targets }) { peerFds().count }
                awaitFdCount(ownBefore)
            }
        }
    }

    context("bad input from the peer closes that connection with a specific error and hurts nobody") {
        val expectations = mapOf(
            "bad-magic" to "bad magic",
            "bad-kind" to "unknown frame kind",
            "oversized" to "exceeds the maximum frame size",
            "truncated" to "mid-frame",
            "handle-without-fd" to "announced 1 handle",
            "fd-without-frame" to "without a frame that announced them",
        )
        expectations.forEach { (mode, text) ->
            test(mode) {
                withPeer(mode) { connection, peer ->
                    connection.open(Lane.USER, JsonCodec(TestMessage.serializer()))
                    val cause = connection.awaitClosed()
                    cause!!.message shouldContain text
                    peer.awaitExit() shouldBe 0
                }
            }
        }
    }

    test("an unknown message type is reported and dropped; the connection goes on") {
        withPeer("unknown-type") { connection, peer ->
            val channel = connection.open(Lane.USER, JsonCodec(TestMessage.serializer()))
            coroutineScope {
                val error = async { connection.errors.first() }
                channel.incoming.first().message shouldBe TestMessage.Text(99, "after")
                error.await().shouldBeInstanceOf<UndecodableMessageException>().message shouldStartWith "undecodable user message"
            }
            connection.isOpen shouldBe true
            connection.close()
            peer.awaitExit() shouldBe 0
        }
    }

    test("a call with an unknown message type gets an error reply instead of a hang") {
        withPeer("unknown-type-call") { connection, peer ->
            val channel = connection.open(Lane.USER, JsonCodec(TestMessage.serializer()))
            coroutineScope {
                val collector = async { channel.incoming.toList() }
                connection.errors.first().shouldBeInstanceOf<UndecodableMessageException>()
                connection.close()
                collector.await() shouldBe emptyList()
            }
            peer.awaitExit() shouldBe 0
        }
    }

    test("sending on a closed connection and sending an oversized message fail clearly") {
        withPeer("serve", IpcOptions(maxFrameSize = 1024, name = "peer")) { connection, _ ->
            val channel = connection.open(Lane.USER, JsonCodec(TestMessage.serializer()))
            shouldThrow<FrameTooLargeException> { channel.send(TestMessage.Text(1, "x".repeat(2_000))) }.message shouldContain "maximum frame size of 1024"
            channel.call(TestMessage.Text(2, "fits")).message shouldBe TestMessage.Text(2, "fits")
            connection.close()
            shouldThrow<IpcClosedException> { channel.send(TestMessage.Text(3, "late")) }.message shouldContain "closed"
        }
    }
})
