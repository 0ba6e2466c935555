package io.jcluster.ipc

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.ints.shouldBeLessThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import java.io.Closeable
import java.io.FileInputStream
import java.io.IOException
import java.net.InetSocketAddress
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

/**
 * [ListenerAcceptor] out of descriptors: this JVM's own `RLIMIT_NOFILE` is lowered (util-linux
 * `prlimit --pid`) and the table filled, so that `accept` fails with EMFILE while a client waits.
 */
class ListenerAcceptorSpec : FunSpec({
    timeout = 60_000

    test("out of descriptors, the acceptor pauses instead of spinning, and takes the waiting connection once they are back") {
        ServerSocketChannel.open().use { listening ->
            listening.bind(InetSocketAddress("127.0.0.1", 0))
            val taken = CompletableFuture<SocketChannel>()
            val acceptor = ListenerAcceptor(listening, "test listener") { taken.complete(it) }
            val rounds = AtomicInteger()
            Thread({ while (acceptor.acceptSome()) rounds.incrementAndGet() }, "acceptor-under-test").apply { isDaemon = true }.start()
            val client = SocketChannel.open() // its descriptor now: connecting later needs none
            val (soft, hard) = nofile()
            val fillers = ArrayList<Closeable>()
            try {
                setNofile(openDescriptors() + 32, hard)
                while (true) fillers += try { FileInputStream("/dev/null") } catch (e: IOException) { break }
                client.connect(listening.localAddress)
                Thread.sleep(1_500) // the length of the shortage: the acceptor must not spin through it
                rounds.get() shouldBeLessThan 30
            } finally {
                fillers.forEach { it.close() }
                setNofile(soft, hard)
            }
            taken.get(10, TimeUnit.SECONDS) shouldNotBe null
            taken.get().close()
            client.close()
            acceptor.close()
        }
    }

    test("close takes every connection queued in the backlog, so that none is reset") {
        ServerSocketChannel.open().bind(InetSocketAddress("127.0.0.1", 0), 64).let { listening ->
            val taken = ArrayList<SocketChannel>()
            val acceptor = ListenerAcceptor(listening, "test listener") { taken += it }
            val clients = List(20) { SocketChannel.open(listening.localAddress) } // queued: nobody called acceptSome
            acceptor.close()
            taken.size shouldBe 20
            taken.forEach { it.close() } // FIN to each client: an orderly end, not a reset
            clients.forEach { client -> client.use { it.read(java.nio.ByteBuffer.allocate(1)) shouldBe -1 } }
            listening.isOpen shouldBe false
        }
    }

    test("after requestClose, the thread in acceptSome takes what is queued, closes, and returns false") {
        ServerSocketChannel.open().bind(InetSocketAddress("127.0.0.1", 0), 64).let { listening ->
            val taken = java.util.concurrent.LinkedBlockingQueue<SocketChannel>()
            val acceptor = ListenerAcceptor(listening, "test listener") { taken += it }
            val result = CompletableFuture<Boolean>()
            val loop = Thread({ result.complete(generateSequence { acceptor.acceptSome() }.first { !it }) }, "acceptor-under-test")
            loop.isDaemon = true
            loop.start()
            val first = SocketChannel.open(listening.localAddress)
            taken.poll(10, TimeUnit.SECONDS) shouldNotBe null
            acceptor.requestClose()
            result.get(10, TimeUnit.SECONDS) shouldBe false
            listening.isOpen shouldBe false
            first.close()
            taken.forEach { it.close() }
        }
    }
})

private val self = ProcessHandle.current().pid()

private fun openDescriptors(): Long = Files.list(Path.of("/proc/self/fd")).use { it.count() }

private fun nofile(): Pair<Long, Long> {
    val line = Files.readAllLines(Path.of("/proc/self/limits")).first { it.startsWith("Max open files") }
    val (soft, hard) = line.removePrefix("Max open files").trim().split(Regex("\\s+"))
    return soft.toLong() to hard.toLong()
}

private fun setNofile(soft: Long, hard: Long) {
    val run = ProcessBuilder("prlimit", "--pid", "$self", "--nofile=$soft:$hard").inheritIO().start()
    check(run.waitFor(10, TimeUnit.SECONDS) && run.exitValue() == 0) { "prlimit --pid $self --nofile=$soft:$hard failed" }
}
