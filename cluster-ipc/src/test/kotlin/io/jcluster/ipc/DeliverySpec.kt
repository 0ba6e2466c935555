package io.jcluster.ipc

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import kotlin.random.Random
import kotlin.time.Duration.Companion.seconds

/**
 * The delivery guarantees of docs/ipc.md, over a real Unix socket (server and client in this JVM):
 * in order and exactly once per lane and direction while the connection is up, and everything sent
 * before `close()` delivered, even to a peer that is slow to read.
 */
class DeliverySpec : FunSpec({
    timeout = 60_000

    test("both sides sending at once on both lanes, small and large messages: each side gets each message once, in order") {
        withConnectedPair("jcluster-delivery") { a, b ->
            val count = 20_000
            val random = Random(42)
            val sizes = IntArray(count) { if (random.nextInt(200) == 0) 100_000 + random.nextInt(100_000) else random.nextInt(300) }
            val channels = listOf(a, b).map { side -> Lane.entries.map { side.open(it, ByteArrayCodec) } }
            coroutineScope {
                val checks = channels.flatten().map { channel -> async { receiveSequence(channel, count, sizes) } }
                for (lanes in channels) launch(Dispatchers.Default) {
                    for (n in 0 until count) for (lane in lanes) lane.send(numbered(n, sizes[n]))
                }
                checks.forEach { it.await() shouldBe count }
            }
        }
    }

    test("100,000 messages and then close() at once: the peer gets every one, though it stops reading for longer than a second") {
        // The receiver takes 16 messages at a time; with 1 KB messages the socket holds a few hundred. So when it
        // pauses 1,000 messages before the end, the sender has handed over all it has and closes, with hundreds queued.
        withConnectedPair("jcluster-delivery", receiveQueueCapacity = 16) { sender, receiver ->
            val count = 100_000
            val channel = receiver.open(Lane.USER, ByteArrayCodec)
            coroutineScope {
                // On a thread of its own: close() blocks its caller's thread while it drains, as a worker's does.
                val received = async(Dispatchers.Default) {
                    var next = 0
                    channel.incoming.collect { incoming ->
                        numberOf(incoming.message) shouldBe next++
                        // A receiver busy elsewhere (a GC pause, a full event queue) while the sender closes:
                        if (next == count - 1_000) delay(2_000)
                    }
                    next
                }
                val out = sender.open(Lane.USER, ByteArrayCodec)
                repeat(count) { out.send(numbered(it, 1_000)) }
                sender.close()
                withTimeout(30.seconds) { received.await() } shouldBe count
                receiver.awaitClosed() shouldBe null
            }
        }
    }
})

/** A message whose first four bytes are [n], [size] bytes in all (at least four). */
private fun numbered(n: Int, size: Int): ByteArray = ByteArray(maxOf(4, size)).also { java.nio.ByteBuffer.wrap(it).putInt(n) }

private fun numberOf(message: ByteArray): Int = java.nio.ByteBuffer.wrap(message).getInt()

/** Receives [count] messages on [channel], checking that each is the next number with its size; returns how many came. */
private suspend fun receiveSequence(channel: MessageChannel<ByteArray>, count: Int, sizes: IntArray): Int {
    var next = 0
    while (next < count) {
        val message = channel.receive().message
        "${numberOf(message)} ${message.size}" shouldBe "$next ${maxOf(4, sizes[next])}"
        next++
    }
    return next
}
