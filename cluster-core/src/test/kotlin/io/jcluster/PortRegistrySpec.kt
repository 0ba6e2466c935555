package io.jcluster

import io.jcluster.internal.ControlMessage
import io.jcluster.internal.PortRegistry
import io.jcluster.internal.WireAddress
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.delay
import kotlinx.coroutines.withTimeout
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.nio.channels.SocketChannel

/** The primary's listeners for its workers, against fake workers and real sockets in this JVM. */
class PortRegistrySpec : FunSpec({
    timeout = 20_000

    test("under reuse-port a worker may close its socket only once the worker on its way to the port listens") {
        withRegistry { ports ->
            val request = listenRequest(0, SharingStrategy.REUSE_PORT)
            val old = ports.grant(1, request)
            ports.listening(1, old.lease)
            val replacement = ports.grant(2, request)
            replacement.address.port shouldBe old.address.port

            val mayClose = CompletableDeferred<Unit>()
            ports.unlisten(1, old.lease) { mayClose.complete(Unit) }
            ports.drain(1)
            mayClose.isCompleted shouldBe false
            ports.listening(2, replacement.lease)
            withTimeout(2_000) { mayClose.await() }
        }
    }

    test("under round-robin a lease given back ends only once the hand-offs on their way to its worker are answered") {
        withRegistry { ports ->
            val link = FakeLink()
            val granted = ports.listen(1, link, listenRequest(0, SharingStrategy.ROUND_ROBIN), SharingStrategy.SHARED, 8, draining = false)
                .message.shouldBeInstanceOf<ControlMessage.ListenGranted>()
            ports.listening(1, granted.lease)
            SocketChannel.open(InetSocketAddress("127.0.0.1", granted.address.port)).use {
                withTimeout(5_000) { while (link.handedOff.isEmpty()) delay(5) }
                val ended = CompletableDeferred<Unit>()
                ports.unlisten(1, granted.lease) { ended.complete(Unit) }
                ended.isCompleted shouldBe false
                ports.handoffAnswer(1, ControlMessage.HandoffsTaken(granted.lease, 1), null)
                withTimeout(2_000) { ended.await() }
            }
        }
    }

    test("a failed bind leaves nothing behind: once the port is free, the same listen binds") {
        withRegistry { ports ->
            val blocker = ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))
            val request = listenRequest(blocker.localPort, SharingStrategy.SHARED)
            ports.listen(1, FakeLink(), request, SharingStrategy.SHARED, 8, draining = false).message
                .shouldBeInstanceOf<ControlMessage.ListenFailed>().reason shouldContain "127.0.0.1:${blocker.localPort}"
            blocker.close()
            ports.grant(1, request).address.port shouldBe blocker.localPort
        }
    }

    test("a port that just served (its closed connections in TIME_WAIT) is granted again under every strategy") {
        withRegistry { ports ->
            val port = portLeftInTimeWait()
            for ((worker, strategy) in SharingStrategy.entries.withIndex()) {
                val granted = ports.grant(worker + 1, listenRequest(port, strategy))
                granted.address.port shouldBe port
                ports.removeWorker(worker + 1)
            }
        }
    }

    test("the port is closed after the last worker leaves it") {
        withRegistry { ports ->
            val port = ServerSocket(0).use { it.localPort }
            val request = listenRequest(port, SharingStrategy.SHARED)
            ports.grant(1, request)
            ports.grant(2, request)
            ports.removeWorker(1)
            shouldBeInUse(port, true)
            ports.removeWorker(2)
            shouldBeInUse(port, false)
        }
    }

    test("one port has one strategy: asking for another fails") {
        withRegistry { ports ->
            val shared = ports.grant(1, listenRequest(0, SharingStrategy.SHARED))
            ports.listen(2, FakeLink(), listenRequest(0, SharingStrategy.ROUND_ROBIN), SharingStrategy.SHARED, 8, draining = false).message
                .shouldBeInstanceOf<ControlMessage.ListenFailed>().reason shouldContain "already shared"
            shared.strategy shouldBe SharingStrategy.SHARED
        }
    }
})

private fun listenRequest(port: Int, strategy: SharingStrategy) =
    ControlMessage.Listen(WireAddress(host = "127.0.0.1", port = port), backlog = 50, strategy = strategy)

private fun PortRegistry.grant(workerId: Int, request: ControlMessage.Listen): ControlMessage.ListenGranted {
    // The grant's handle, if any, is the primary's own socket (the sender keeps it): not ours to close.
    return listen(workerId, FakeLink(), request, SharingStrategy.SHARED, 8, draining = false).message.shouldBeInstanceOf<ControlMessage.ListenGranted>()
}

/** A free port with a connection in TIME_WAIT on it, as a server that closes first leaves one (Connection: close). */
private fun portLeftInTimeWait(): Int = ServerSocket(0, 50, InetAddress.getByName("127.0.0.1")).use { server ->
    java.net.Socket(server.inetAddress, server.localPort).use { client ->
        server.accept().close() // the server's side closes first: it is the one left in TIME_WAIT
        client.getInputStream().read() // -1: the close reached the client
    }
    server.localPort
}

private fun shouldBeInUse(port: Int, inUse: Boolean) {
    runCatching { ServerSocket(port, 50, InetAddress.getByName("127.0.0.1")).close() }.isFailure shouldBe inUse
}

private suspend fun withRegistry(block: suspend (PortRegistry) -> Unit) {
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    val ports = PortRegistry(scope)
    try {
        block(ports)
    } finally {
        ports.closeAll()
        scope.cancel()
    }
}
