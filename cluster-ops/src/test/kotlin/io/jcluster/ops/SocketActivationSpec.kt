package io.jcluster.ops

import io.jcluster.SocketActivator
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.net.InetSocketAddress
import java.net.StandardProtocolFamily
import java.net.UnixDomainSocketAddress
import java.nio.channels.Channels
import java.nio.channels.SocketChannel
import java.nio.file.Files
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runInterruptible
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout

/**
 * systemd socket activation (`LISTEN_FDS`, `LISTEN_PID`) on a real primary ([OpsTestPrimary]):
 * [SocketActivator] plays systemd, binds a listening socket (TCP on 127.0.0.1, or Unix), puts it at
 * fd 3, and execs the primary in its place (so `LISTEN_PID` is the primary's pid). A connection made
 * before the JVM even starts is queued on that socket, and a worker answers it: the primary adopted
 * the socket instead of binding one (a second bind of the port, or of the path, would fail, the
 * socket listening already). The samples' OperationsSpec serves HTTP this way.
 */
class SocketActivationSpec : FunSpec({
    timeout = 120_000

    test("the primary serves on the listening socket it inherited at fd 3").config(enabled = SocketActivator.available()) {
        OpsProcess.start(environment = mapOf("OPS_PORT" to SocketActivator.ADDRESS), wrapper = SocketActivator.wrapper()).use { primary ->
            val port = primary.await { it.startsWith("ACTIVATED ") }.single().split(' ')[1].toInt()
            withContext(Dispatchers.IO) {
                SocketChannel.open(InetSocketAddress("127.0.0.1", port)).use { early ->
                    primary.awaitListening()
                    primary.output.first { it.startsWith("LISTENING") }.split(' ')[2].toInt() shouldBe port
                    early.socket().soTimeout = 30_000
                    val id = early.socket().getInputStream().bufferedReader().readLine().toInt()
                    primary.liveWorkers().keys.contains(id) shouldBe true
                }
            }
            primary.awaitStderr("socket activation: fd 3 listens on 127.0.0.1:$port")
        }
    }

    test("an inherited Unix socket serves the listen on its path").config(enabled = SocketActivator.available()) {
        val scratch = Files.createTempDirectory("jcluster-ops")
        val path = scratch.resolve("activated.sock")
        OpsProcess.start(environment = mapOf("OPS_UNIX" to "$path"), wrapper = SocketActivator.wrapper(unix = path), scratch = scratch).use { primary ->
            primary.await { it.startsWith("ACTIVATED ") }.single() shouldBe "ACTIVATED $path"
            SocketChannel.open(StandardProtocolFamily.UNIX).use { early ->
                withContext(Dispatchers.IO) { early.connect(UnixDomainSocketAddress.of(path)) } // queued: no JVM listens yet
                primary.awaitListening()
                primary.liveWorkers().keys shouldContainId early.readLineWithin().toInt()
            }
            repeat(3) { // and later connections too
                SocketChannel.open(UnixDomainSocketAddress.of(path)).use { primary.liveWorkers().keys shouldContainId it.readLineWithin().toInt() }
            }
            primary.awaitStderr("socket activation: fd 3 listens on $path")
        }
    }
})

private infix fun Set<Int>.shouldContainId(id: Int) = withClue("workers $this") { contains(id) shouldBe true }

/** A line from this channel, within 30 s (a Unix channel has no socket timeout; the wait is interrupted instead). */
private suspend fun SocketChannel.readLineWithin(): String =
    withTimeout(30.seconds) { runInterruptible(Dispatchers.IO) { Channels.newInputStream(this@readLineWithin).bufferedReader().readLine() } }
