package io.jcluster.ipc

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.nio.ByteBuffer

/** `Ipc.socketPair`: two connected JDK channels, which stay connected whatever junixsocket does with its own. */
class SocketPairSpec : FunSpec({
    timeout = 10_000

    fun java.nio.channels.SocketChannel.readText(): String = ByteBuffer.allocate(64).let { read(it); String(it.array(), 0, it.position()) }

    test("what one end writes the other reads, both ways, also after junixsocket's objects were collected") {
        val (one, two) = Ipc.socketPair()
        one.use {
            two.use {
                repeat(3) { System.gc() } // junixsocket's objects for the pair are garbage now: their cleanups must not touch ours
                one.write(ByteBuffer.wrap("ping".toByteArray()))
                two.readText() shouldBe "ping"
                two.write(ByteBuffer.wrap("pong".toByteArray()))
                one.readText() shouldBe "pong"
            }
        }
    }

    test("closing one end ends the stream the other reads") {
        val (one, two) = Ipc.socketPair()
        one.close()
        two.use { it.read(ByteBuffer.allocate(1)) shouldBe -1 }
    }
})
