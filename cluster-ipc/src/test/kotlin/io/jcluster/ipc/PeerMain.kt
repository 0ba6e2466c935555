package io.jcluster.ipc

import io.jcluster.ipc.internal.WireFormat
import kotlinx.coroutines.runBlocking
import org.newsclub.net.unix.AFUNIXSocketAddress
import org.newsclub.net.unix.AFUNIXSocketChannel
import java.nio.ByteBuffer
import java.nio.channels.Channels
import java.nio.file.Path
import kotlin.system.exitProcess

/**
 * The second JVM of the IPC specs. `PeerMain <socket> serve` speaks [TestMessage]; any other mode
 * writes one kind of broken input with a raw socket, waits for the other side to hang up, and exits 0
 * (proof that the bad input did not take this side down with it).
 */
object PeerMain {
    @JvmStatic
    fun main(args: Array<String>) {
        val path = Path.of(args[0])
        if (args[1] == "serve") runBlocking { serve(path) } else sendBrokenInput(path, args[1])
        exitProcess(0)
    }

    private suspend fun serve(path: Path) {
        val connection = Ipc.connect(path, IpcOptions(name = "spec"))
        val channel = connection.open(Lane.USER, JsonCodec(TestMessage.serializer()))
        channel.incoming.collect { incoming -> answer(channel, incoming) }
    }

    private suspend fun answer(channel: MessageChannel<TestMessage>, incoming: Incoming<TestMessage>) {
        when (val message = incoming.message) {
            is TestMessage.Burst -> repeat(message.count) { channel.send(alternate(it)) }
            TestMessage.ServeListener -> (incoming.handle as Handle.TcpListener).channel.use { server ->
                server.accept().use { it.write(ByteBuffer.wrap("hello from pid ${ProcessHandle.current().pid()}\n".toByteArray())) }
            }
            TestMessage.ServeConnection -> (incoming.handle as Handle.TcpConnection).channel.use {
                it.write(ByteBuffer.wrap("served by pid ${ProcessHandle.current().pid()}\n".toByteArray()))
            }
            TestMessage.DropHandle -> incoming.handle!!.close()
            TestMessage.CountFds -> incoming.reply(TestMessage.FdCount(openFdCount(), openFdTargets()))
            TestMessage.FailMe -> incoming.replyError("asked to fail")
            TestMessage.IgnoreMe -> Unit
            else -> if (incoming.expectsReply) incoming.reply(message) else channel.send(message)
        }
    }

    private fun alternate(i: Int): TestMessage = if (i % 2 == 0) TestMessage.Text(i, "t$i") else TestMessage.Number(i, i * 7L)

    private fun sendBrokenInput(path: Path, mode: String) {
        AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(path)).use { socket ->
            val frame = BrokenFrames.forMode(mode)
            if (mode == "fd-without-frame") {
                // A descriptor riding on a frame that announces none; the next frame shows nobody claimed it.
                socket.setOutboundFileDescriptors(java.io.FileDescriptor.out)
                socket.write(ByteBuffer.wrap(frame))
                socket.setOutboundFileDescriptors()
                socket.write(ByteBuffer.wrap(BrokenFrames.valid("after")))
            } else {
                socket.write(ByteBuffer.wrap(frame))
            }
            if (mode == "truncated") return // hang up mid-frame
            val answer = ByteBuffer.wrap(Channels.newInputStream(socket).readAllBytes()) // until the other side closes
            if (mode == "unknown-type-call") {
                // The call must have been answered with an error reply carrying its correlation id.
                val answered = answer.remaining() >= WireFormat.HEADER_SIZE &&
                    answer.get(5).toInt() == WireFormat.KIND_ERROR_REPLY && answer.getLong(8) == 7L
                if (!answered) exitProcess(3)
            }
        }
    }
}

/** Byte-exact frames for the bad-input specs. */
object BrokenFrames {
    private val unknownType = """{"type":"no-such-type","seq":1}""".encodeToByteArray()

    fun valid(body: String): ByteArray =
        WireFormat.encode(WireFormat.KIND_USER, 0, 0, 0, ByteArray(0), """{"type":"text","seq":99,"body":"$body"}""".encodeToByteArray())

    fun forMode(mode: String): ByteArray = when (mode) {
        "bad-magic" -> valid("x").also { it[4] = 0x13 }
        "bad-kind" -> valid("x").also { it[5] = 9 }
        "oversized" -> ByteBuffer.allocate(64).putInt(Int.MAX_VALUE).array()
        "truncated" -> valid("this frame is cut short").copyOf(25)
        "handle-without-fd" -> valid("x").also { it[6] = 1 }
        "fd-without-frame" -> valid("carrier")
        "unknown-type" -> WireFormat.encode(WireFormat.KIND_USER, 0, 0, 0, ByteArray(0), unknownType) + valid("after")
        "unknown-type-call" -> WireFormat.encode(WireFormat.KIND_USER, WireFormat.FLAG_CALL, 7, 0, ByteArray(0), unknownType)
        else -> error("unknown mode $mode")
    }
}
