package io.jcluster

import io.jcluster.internal.Lease
import io.jcluster.internal.PortKey
import io.jcluster.internal.RoundRobinHandle
import io.jcluster.internal.SocketBinding
import io.jcluster.internal.WireAddress
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainOnly
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.delay
import kotlinx.coroutines.withTimeout
import java.net.InetSocketAddress
import java.nio.channels.SocketChannel

/** The round-robin policy against fake workers and a real listening socket in this JVM. */
class RoundRobinHandleSpec : FunSpec({
    timeout = 20_000

    test("connections go to the listening workers in turn") {
        withHandle(maxPending = 8) { handle, connect ->
            val (a, b) = handle.leases(2)
            connect(4)
            awaitHandOffs(a, b, total = 4)
            a.link().handedOff shouldBe listOf(a.id, a.id)
            b.link().handedOff shouldBe listOf(b.id, b.id)
        }
    }

    test("a draining worker gets no connections") {
        withHandle(maxPending = 8) { handle, connect ->
            val (a, b) = handle.leases(2)
            handle.drain(a)
            connect(3)
            awaitHandOffs(a, b, total = 3)
            a.link().handedOff shouldBe emptyList()
        }
    }

    test("a worker with too many hand-offs unanswered is skipped") {
        withHandle(maxPending = 2) { handle, connect ->
            val (a, b) = handle.leases(2)
            a.link().answers = false
            connect(6)
            awaitHandOffs(a, b, total = 6)
            a.link().handedOff.size shouldBe 2
            b.link().handedOff.size shouldBe 4
        }
    }

    test("a connection one worker refuses goes to the next") {
        withHandle(maxPending = 8) { handle, connect ->
            val (a, b) = handle.leases(2)
            a.link().takesConnections = false
            connect(3)
            awaitHandOffs(a, b) { b.link().handedOff.size == 3 }
            b.link().handedOff shouldContainOnly listOf(b.id)
        }
    }
})

private fun Lease.link() = link as FakeLink

private fun RoundRobinHandle.leases(count: Int): List<Lease> = List(count) { i ->
    Lease(i + 1, i + 1, FakeLink(), this).also { add(it); listening(it) }
}

private suspend fun awaitHandOffs(vararg leases: Lease, total: Int = 0, done: () -> Boolean = { leases.sumOf { it.link().handedOff.size } >= total }) {
    withTimeout(5_000) { while (!done()) delay(5) }
}

private suspend fun withHandle(maxPending: Int, block: suspend (RoundRobinHandle, (Int) -> Unit) -> Unit) {
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    val channel = SocketBinding.listen(InetSocketAddress("127.0.0.1", 0), 50)
    val handle = RoundRobinHandle(PortKey(WireAddress.of(channel.localAddress), 50, 0), channel, scope, maxPending)
    val clients = mutableListOf<SocketChannel>()
    try {
        block(handle) { count -> repeat(count) { clients += SocketChannel.open(channel.localAddress) } }
    } finally {
        clients.forEach { it.close() }
        handle.close()
        scope.cancel()
    }
}
