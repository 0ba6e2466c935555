package io.jcluster.ops

import io.jcluster.AdminProtocol
import io.jcluster.FdTools
import io.jcluster.Signal
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.ints.shouldBeLessThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import java.net.UnixDomainSocketAddress
import java.nio.ByteBuffer
import java.nio.channels.SocketChannel
import java.nio.file.Files
import java.nio.file.Path
import kotlin.concurrent.thread
import kotlin.time.Duration.Companion.seconds

/**
 * Peers that flood a real primary ([FdTestPrimary]): a thousand idle connections to each of its two
 * Unix sockets cost it a bounded number of threads, are answered "busy" (control) or closed (worker
 * socket) past the cap, and are closed after the short hello deadline; a 100 MB request line gets an
 * error reply and one log line, not a reset.
 */
class PeerFloodSpec : FunSpec({
    timeout = 240_000

    test("a thousand idle peers on each socket: bounded threads, busy replies, closed at the deadline, then service as usual") {
        withPrimary { primary, control ->
            val baseline = FdTools.threads(primary.pid)
            val workerSocket = FdTools.workerControlSocket(primary.liveWorkers().values.first())
            val idle = (1..1000).map { SocketChannel.open(UnixDomainSocketAddress.of(workerSocket)) } +
                (1..1000).map { FdTools.controlConnect(control) }
            withClue("the 1000th control peer, over the cap") { FdTools.readLine(idle.last(), 5.seconds) shouldContain "busy" }
            val flooded = FdTools.threads(primary.pid)
            println("PeerFloodSpec: the primary's threads: $baseline before the flood, $flooded with 2,000 idle peers")
            withClue("threads of the primary, $baseline before the flood") { flooded shouldBeLessThan baseline + 300 }
            withClue("an idle control peer is closed at the deadline") { FdTools.readLine(idle[1000], 15.seconds) shouldBe null }
            withClue("an idle worker-socket peer is closed at the deadline") { FdTools.readLine(idle[0], 15.seconds) shouldBe null }
            idle.forEach { it.close() }
            FdTools.control(control, """{"command":"status"}""") shouldContain "\"ok\":true"
            val victim = primary.liveWorkers().entries.first()
            ProcessHandle.of(victim.value).ifPresent { it.destroyForcibly() }
            primary.await { it.startsWith("EXITED ${victim.key} ") }
            withClue("a worker is admitted after the flood") { primary.await(3) { it.startsWith("READY ") } }
        }
    }

    test("a 100 MB control line gets an error reply and one log line, not a reset") {
        withPrimary { primary, control ->
            FdTools.controlConnect(control).use { channel ->
                val writer = thread(isDaemon = true, name = "huge-line") {
                    val chunk = ByteArray(1024 * 1024) { 'x'.code.toByte() }
                    runCatching { repeat(100) { channel.write(ByteBuffer.wrap(chunk)) } } // the primary stops reading early
                }
                val reply = FdTools.readLine(channel)
                reply shouldNotBe null
                reply!! shouldContain "\"ok\":false"
                reply shouldContain "longer than ${AdminProtocol.MAX_LINE} bytes"
                writer.join(30_000)
            }
            primary.awaitStderr("control socket $control: refused a request longer than ${AdminProtocol.MAX_LINE} bytes")
            FdTools.control(control, """{"command":"status"}""") shouldContain "\"ok\":true"
        }
    }
})

/** Runs [block] with a started [FdTestPrimary] (its workers ready) and its control socket's path. */
private suspend fun withPrimary(block: suspend (OpsProcess, Path) -> Unit) {
    val control = Files.createTempDirectory("jcluster-flood").resolve("ctl/control.sock")
    try {
        OpsProcess.start(mapOf("FD_CONTROL" to control.toString()), main = FdTestPrimary::class.java.name).use { primary ->
            primary.awaitListening()
            block(primary, control)
            primary.signal(Signal.TERM)
            primary.awaitExit() shouldBe 0
        }
    } finally {
        control.parent.parent.toFile().deleteRecursively()
    }
}
