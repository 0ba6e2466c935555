package io.jcluster.ipc

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.async
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.yield
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.onEach
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import org.newsclub.net.unix.AFUNIXSocketPair
import java.io.BufferedReader
import java.io.InputStreamReader
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.Socket
import java.nio.ByteBuffer
import java.nio.channels.ServerSocketChannel

/** One JVM, two connected ends of a socket pair: the rules of the connection itself. */
class IpcConnectionSpec : FunSpec({
    timeout = 30_000

    fun connectedPair(options: IpcOptions = IpcOptions()): Pair<IpcConnection, IpcConnection> {
        val pair = AFUNIXSocketPair.open()
        return IpcConnection(pair.socket1, options.copy(name = "a")).start() to IpcConnection(pair.socket2, options.copy(name = "b")).start()
    }

    /** The seqs of [count] messages read from [receiver], which pauses 200 ms at every 5,000th: a slow receiver. */
    fun CoroutineScope.slowlyReceived(receiver: MessageChannel<TestMessage>, count: Int): Deferred<List<Int>> = async {
        receiver.incoming.take(count).onEach { if ((it.message as TestMessage.Text).seq % 5_000 == 0) delay(200) }
            .map { (it.message as TestMessage.Text).seq }.toList()
    }

    test("a received listener belongs to the receiver: it outlives the connection it came over") {
        val (a, b) = connectedPair()
        val sender = a.open(Lane.USER, JsonCodec(TestMessage.serializer()))
        val receiver = b.open(Lane.USER, JsonCodec(TestMessage.serializer()))
        ServerSocketChannel.open().bind(InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).use { original ->
            sender.send(TestMessage.ServeListener, Handle.TcpListener(original))
            val received = receiver.incoming.first().handle as Handle.TcpListener
            a.close()
            b.close()
            original.close()
            received.channel.use { listener ->
                Socket(InetAddress.getLoopbackAddress(), (listener.localAddress as InetSocketAddress).port).use { client ->
                    listener.accept().use { it.write(ByteBuffer.wrap("still mine\n".toByteArray())) }
                    BufferedReader(InputStreamReader(client.getInputStream())).readLine() shouldBe "still mine"
                }
            }
        }
    }

    test("a slow receiver pushes back on the sender and loses nothing") {
        val (a, b) = connectedPair(IpcOptions(sendQueueCapacity = 4, receiveQueueCapacity = 2))
        val sender = a.open(Lane.USER, JsonCodec(TestMessage.serializer()))
        val receiver = b.open(Lane.USER, JsonCodec(TestMessage.serializer()))
        val count = 20_000
        val received = slowlyReceived(receiver, count)
        repeat(count) { sender.send(TestMessage.Text(it, "x".repeat(200))) }
        received.await() shouldContainExactly (0 until count).toList()
        a.close()
        b.close()
    }

    test("post() from a plain thread keeps the order of the calls, send()'s too, waits while the queue is full, and fails once closed") {
        val (a, b) = connectedPair(IpcOptions(sendQueueCapacity = 4, receiveQueueCapacity = 2))
        val sender = a.open(Lane.USER, JsonCodec(TestMessage.serializer()))
        val receiver = b.open(Lane.USER, JsonCodec(TestMessage.serializer()))
        val count = 20_000
        val received = slowlyReceived(receiver, count)
        val poster = Thread {
            repeat(count) { seq ->
                val message = TestMessage.Text(seq, "x".repeat(200))
                if (seq % 3 == 0) runBlocking { sender.send(message) } else sender.post(message)
            }
        }.apply { start() }
        received.await() shouldContainExactly (0 until count).toList()
        poster.join(10_000)
        poster.isAlive shouldBe false
        a.close()
        shouldThrow<IpcClosedException> { sender.post(TestMessage.Text(count, "late")) }
        b.close()
    }

    test("a thread interrupted while post() waits for room gets InterruptedException, and the connection stays open") {
        val (a, b) = connectedPair(IpcOptions(sendQueueCapacity = 8, receiveQueueCapacity = 2))
        b.open(Lane.USER, ByteArrayCodec) // opened, never read: the socket and the queue fill
        val sender = a.open(Lane.USER, ByteArrayCodec)
        val outcome = java.util.concurrent.CompletableFuture<Throwable?>()
        val poster = Thread {
            try {
                repeat(100_000) { sender.post(ByteArray(10_000)) }
                outcome.complete(null)
            } catch (e: Throwable) {
                outcome.complete(e)
            }
        }.apply { start() }
        val deadline = System.nanoTime() + 10_000_000_000
        while (poster.state != Thread.State.WAITING && poster.state != Thread.State.TIMED_WAITING && System.nanoTime() < deadline) Thread.onSpinWait()
        poster.interrupt()
        outcome.get(10, java.util.concurrent.TimeUnit.SECONDS).shouldBeInstanceOf<InterruptedException>()
        a.isOpen shouldBe true
        b.close() // first: a's close() would wait for a reader that never reads
        a.close()
    }

    test("a sender waiting for room in the queue fails with IpcClosedException once the peer is gone") {
        val (a, b) = connectedPair(IpcOptions(sendQueueCapacity = 8, receiveQueueCapacity = 2))
        b.open(Lane.USER, ByteArrayCodec) // opened, never read: the socket and the queue fill
        val sender = a.open(Lane.USER, ByteArrayCodec)
        val oneThread = java.util.concurrent.Executors.newSingleThreadExecutor().asCoroutineDispatcher()
        try {
            withContext(oneThread) {
                val flood = async { runCatching { repeat(100_000) { sender.send(ByteArray(10_000)) } }.exceptionOrNull() }
                yield() // on this one thread, the flood runs until its only suspension: waiting for room
                flood.isActive shouldBe true
                b.close()
                withTimeout(10_000) { flood.await() }.shouldBeInstanceOf<IpcClosedException>()
            }
        } finally {
            oneThread.close()
            b.close()
            a.close()
        }
    }

    test("frames larger than the socket buffer arrive whole and in order with the small ones around them") {
        val (a, b) = connectedPair()
        val sender = a.open(Lane.USER, ByteArrayCodec)
        val receiver = b.open(Lane.USER, ByteArrayCodec)
        val sizes = listOf(3_000_000, 10, 2_500_000, 7, 1, 4_000_000, 12)
        val received = async { receiver.incoming.take(sizes.size).map { it.message.size to it.message.last() }.toList() }
        sizes.forEachIndexed { i, size -> sender.send(ByteArray(size) { i.toByte() }) }
        received.await() shouldContainExactly sizes.mapIndexed { i, size -> size to i.toByte() }
        a.close()
        b.close()
    }

    test("a peer that stops reading suspends the sender without blocking its thread") {
        val (a, b) = connectedPair(IpcOptions(sendQueueCapacity = 8, receiveQueueCapacity = 2))
        b.open(Lane.USER, ByteArrayCodec) // opened, never read
        val sender = a.open(Lane.USER, ByteArrayCodec)
        val oneThread = java.util.concurrent.Executors.newSingleThreadExecutor().asCoroutineDispatcher()
        try {
            withContext(oneThread) {
                val flood = launch { repeat(100_000) { sender.send(ByteArray(10_000)) } }
                // The socket and both queues fill within a few megabytes; the same thread still runs this:
                delay(500)
                flood.isActive shouldBe true
                flood.cancel()
            }
        } finally {
            oneThread.close()
            b.close() // first: a's close() would wait for a reader that never reads
            a.close()
        }
    }

    test("lanes are separate: control messages never show up on the user lane") {
        val (a, b) = connectedPair()
        val control = a.open(Lane.CONTROL, ByteArrayCodec)
        val user = a.open(Lane.USER, JsonCodec(TestMessage.serializer()))
        val peerControl = b.open(Lane.CONTROL, ByteArrayCodec)
        val peerUser = b.open(Lane.USER, JsonCodec(TestMessage.serializer()))
        control.send(byteArrayOf(1, 2, 3))
        user.send(TestMessage.Text(1, "user"))
        peerUser.incoming.first().message shouldBe TestMessage.Text(1, "user")
        peerControl.incoming.first().message.toList() shouldBe listOf<Byte>(1, 2, 3)
        shouldThrow<IllegalStateException> { a.open(Lane.USER, ByteArrayCodec) }.message shouldContain "already open"
        a.close()
        b.close()
    }

    test("pending calls fail when the connection closes, instead of hanging") {
        val (a, b) = connectedPair()
        val caller = a.open(Lane.USER, JsonCodec(TestMessage.serializer()))
        val callee = b.open(Lane.USER, JsonCodec(TestMessage.serializer()))
        val call = async { runCatching { caller.call(TestMessage.IgnoreMe, timeoutMillis = 20_000) } }
        callee.receive().expectsReply shouldBe true // the call is out and waiting: now hang up on it
        b.close()
        call.await().exceptionOrNull()!!.message shouldContain "closed before the reply came"
        a.awaitClosed() shouldBe null
    }

    test("options out of range are refused with the name of the setting") {
        shouldThrow<IllegalArgumentException> { IpcOptions(maxFrameSize = 10) }.message shouldContain "maxFrameSize"
        shouldThrow<IllegalArgumentException> { IpcOptions(callTimeoutMillis = 0) }.message shouldContain "callTimeoutMillis"
    }
})
