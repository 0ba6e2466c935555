package io.jcluster.ipc

import io.jcluster.ipc.internal.FrameReader
import io.jcluster.ipc.internal.InboundFrame
import io.jcluster.ipc.internal.JdkChannels
import io.jcluster.ipc.internal.WireFormat
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import java.io.RandomAccessFile
import java.net.InetAddress
import java.net.InetSocketAddress
import java.nio.ByteBuffer
import java.nio.channels.ServerSocketChannel
import java.nio.file.Files
import java.nio.file.Path
import kotlin.random.Random

/**
 * Descriptors sent in bursts: the writer packs queued frames with descriptors into shared `sendmsg`s
 * (docs/ipc.md, "Descriptors"). Each handle still comes with its own message, in order, and no
 * descriptor is left open on either side, also when the receiving end goes away mid-burst.
 */
class HandleBurstSpec : FunSpec({
    timeout = 30_000

    val listeners = List(4) { ServerSocketChannel.open().bind(InetSocketAddress(InetAddress.getLoopbackAddress(), 0)) }
    val ports = listeners.map { (it.localAddress as InetSocketAddress).port }
    afterSpec { listeners.forEach { it.close() } }

    /** Message [n] carries listener `n % 4`, except every fifth, which carries none. */
    fun handleFor(n: Int): Handle? = if (n % 5 == 4) null else Handle.TcpListener(listeners[n % listeners.size])

    /** Sends [count] numbered messages in bursts of 1 to 48 back to back, with a pause between bursts. */
    suspend fun sendBursts(channel: MessageChannel<ByteArray>, count: Int, random: Random) {
        var n = 0
        while (n < count) {
            repeat(minOf(1 + random.nextInt(48), count - n)) { channel.send(numbered(n), handleFor(n)); n++ }
            delay(1)
        }
    }

    /** Receives [count] messages, checking each one's number and handle, and closes the handles. */
    suspend fun receiveInOrder(channel: MessageChannel<ByteArray>, count: Int) {
        repeat(count) { n ->
            val incoming = channel.receive()
            val port = (incoming.handle as Handle.TcpListener?)?.channel?.localAddress?.let { (it as InetSocketAddress).port }
            "${numberOf(incoming.message)} $port" shouldBe "$n ${handleFor(n)?.let { ports[n % listeners.size] }}"
            incoming.handles.forEach { it.close() }
        }
    }

    test("bursts of handles, with messages without one among them: each handle comes with its own message, in order, and none leaks") {
        withConnectedPair("jcluster-burst") { a, b ->
            val out = a.open(Lane.USER, ByteArrayCodec)
            val into = b.open(Lane.USER, ByteArrayCodec)
            suspend fun round(count: Int) = coroutineScope {
                val received = async(Dispatchers.Default) { receiveInOrder(into, count) }
                sendBursts(out, count, Random(count))
                received.await()
            }
            round(300) // warm-up: the JDK opens some files lazily
            val before = settledFdCount() // the warm-up's last descriptors may still be closing
            round(5_000)
            awaitFdCount(before)
        }
    }

    test("a receiving end that closes mid-burst, its lane never opened: every descriptor sent or queued is closed on both sides") {
        suspend fun closeMidBurst() = withConnectedPair("jcluster-burst", receiveQueueCapacity = 16) { a, b ->
            val out = a.open(Lane.USER, ByteArrayCodec)
            val start = openFdCount()
            coroutineScope {
                val sending = launch(Dispatchers.Default) { runCatching { repeat(20_000) { out.send(numbered(it), handleFor(it)) } } }
                while (a.isOpen && openFdCount() < start + 200) delay(1) // descriptors piling up in flight
                b.close()
                a.awaitClosed()
                sending.join()
            }
        }
        closeMidBurst() // warm-up: the failure path loads classes of its own
        val before = settledFdCount()
        closeMidBurst()
        awaitFdCount(before)
    }

    test("a run of frames with descriptors in one sendmsg, split between two reads, gives each frame its own descriptor") {
        val dir = Files.createTempDirectory("jcluster-burst")
        val files = List(WireFormat.MAX_HANDLES) { RandomAccessFile(dir.resolve("f$it").toFile(), "rw") }
        try {
            DecoderHarness().use { harness ->
                harness.connect().use { ends ->
                    // 20 bytes short of the reader's first buffer: its first read ends inside the run.
                    val filler = frame(0, ByteArray(DecoderHarness.INITIAL_BUFFER - 20 - WireFormat.HEADER_SIZE))
                    val run = (1..files.size).map { frame(1, numbered(it)) }.reduce(ByteArray::plus)
                    ends.raw.write(ByteBuffer.wrap(filler))
                    ends.raw.setOutboundFileDescriptors(*files.map { it.fd }.toTypedArray())
                    ends.raw.write(ByteBuffer.wrap(run))
                    ends.raw.setOutboundFileDescriptors()
                    ends.raw.write(ByteBuffer.wrap(frame(0, numbered(99))))
                    ends.raw.shutdownOutput()
                    val frames = ArrayList<InboundFrame>()
                    FrameReader(ends.end.apply { configureBlocking(false) }, 1 shl 20) { frames += it }.run()
                    val named = frames.drop(1).map { frame -> "${numberOf(frame.payload)} ${frame.handles.map { fileOf(it) }}" }
                    frames.forEach { it.closeHandles() }
                    named shouldContainExactly (1..files.size).map { "$it [f${it - 1}]" } + "99 []"
                }
            }
        } finally {
            files.forEach { it.close() }
            dir.toFile().deleteRecursively()
        }
    }
})

/** A user frame with [handles] raw descriptors announced (type 5, no address) and [payload]. */
private fun frame(handles: Int, payload: ByteArray): ByteArray =
    WireFormat.encode(WireFormat.KIND_USER, 0, 0, handles, ByteArray(4 * handles) { if (it % 4 == 0) 5 else 0 }, payload)

/** The name of the file a received raw descriptor refers to. */
private fun fileOf(handle: Handle): String =
    Files.readSymbolicLink(Path.of("/proc/self/fd/${JdkChannels.numberOf((handle as Handle.RawFd).fd)}")).fileName.toString()

private fun numbered(n: Int): ByteArray = ByteBuffer.allocate(4).putInt(n).array()

private fun numberOf(message: ByteArray): Int = ByteBuffer.wrap(message).getInt()

