package io.jcluster.ipc

import io.jcluster.ipc.internal.FrameReader
import io.jcluster.ipc.internal.InboundFrame
import io.jcluster.ipc.internal.WireFormat
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import java.nio.ByteBuffer
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread

/**
 * How the reader hands a read's frames to a collector on `Dispatchers.Unconfined`, which runs on the
 * reader's own thread: all of a read's frames first, then the collector, once.
 */
class ReadBatchSpec : FunSpec({
    timeout = 30_000

    /** Writes [frames] one-byte frames in one write, and returns, for each frame the collector took, how many the reader had handed over by then. */
    fun handedOverAtEachTake(frames: Int, writes: Int): List<Int> = DecoderHarness().use { harness ->
        val ends = harness.connect()
        ends.use {
            val lane = Channel<InboundFrame>(Channel.UNLIMITED)
            val handedOver = AtomicInteger()
            val seen = CopyOnWriteArrayList<Int>()
            val collector = CoroutineScope(Dispatchers.Unconfined).launch { for (frame in lane) seen += handedOver.get() }
            val reader = FrameReader(ends.end.apply { configureBlocking(false) }, 1024) { frame ->
                handedOver.incrementAndGet()
                lane.trySend(frame)
            }
            val reading = thread(name = "read-batch-reader") { runCatching { reader.run() } }
            val frame = WireFormat.encode(WireFormat.KIND_USER, 0, 0, 0, ByteArray(0), byteArrayOf(1))
            repeat(writes) {
                ends.raw.write(ByteBuffer.wrap(ByteArray(frame.size * frames / writes).also { all -> repeat(frames / writes) { frame.copyInto(all, it * frame.size) } }))
                while (handedOver.get() < (it + 1) * frames / writes) Thread.onSpinWait()
            }
            ends.raw.shutdownOutput()
            reading.join(10_000)
            lane.close()
            collector.cancel()
            seen.toList()
        }
    }

    test("a collector on Dispatchers.Unconfined takes the frames of one read after the reader has handed all of them over") {
        handedOverAtEachTake(frames = 10, writes = 1) shouldBe List(10) { 10 }
    }

    test("a read of one frame reaches the collector at once") {
        handedOverAtEachTake(frames = 3, writes = 3) shouldBe listOf(1, 2, 3)
    }
})
