package io.jcluster

import io.jcluster.internal.Lease
import io.jcluster.internal.PortKey
import io.jcluster.internal.RoundRobinHandle
import io.jcluster.internal.SocketBinding
import io.jcluster.internal.WireAddress
import io.jcluster.ipc.Handle
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainOnly
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.delay
import kotlinx.coroutines.runInterruptible
import kotlinx.coroutines.withTimeout
import java.net.InetSocketAddress
import java.nio.ByteBuffer
import java.nio.channels.SocketChannel
import java.util.Collections

/**
 * The round-robin policy against fake workers and a real listening socket in this JVM. A fake worker
 * answers hand-offs through the handle, as the primary's loop does with a real worker's answers.
 */
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

    test("a worker whose heartbeat is late is skipped until it answers again") {
        withHandle(maxPending = 8) { handle, connect ->
            val late = java.util.concurrent.atomic.AtomicBoolean(true)
            val a = Lease(1, 1, FakeLink(), handle) { late.get() }.also { handle.add(it); handle.listening(it) }
            val b = Lease(2, 2, FakeLink(), handle).also { handle.add(it); handle.listening(it) }
            connect(3)
            awaitHandOffs(a, b, total = 3)
            a.link().handedOff shouldBe emptyList()
            late.set(false)
            connect(2)
            awaitHandOffs(a, b, total = 5)
            a.link().handedOff.size shouldBe 1
        }
    }

    test("a worker with too many hand-offs unacknowledged is skipped, and gets connections again once it acknowledges a batch") {
        withHandle(maxPending = 2) { handle, connect ->
            val (a, b) = handle.leases(2)
            val kept = b.takesAndAcknowledges(handle)
            connect(6)
            awaitHandOffs(a, b, total = 6)
            a.link().handedOff.size shouldBe 2
            b.link().handedOff.size shouldBe 4
            handle.mayClose(a) shouldBe false // a worker giving the lease back now would strand these two

            handle.taken(a, 2)
            handle.mayClose(a) shouldBe true
            connect(2)
            awaitHandOffs(a, b, total = 8)
            a.link().handedOff.size shouldBe 3
            kept.forEach { it.first.close() }
        }
    }

    test("a connection one worker refuses goes, still open, to the next, which learns who refused it") {
        withHandle(maxPending = 8) { handle, connect ->
            val (a, b) = handle.leases(2)
            a.refuses(handle)
            val kept = b.takesAndAcknowledges(handle)
            val clients = connect(3)
            awaitHandOffs(a, b) { b.link().handedOff.size == 3 }
            b.link().handedOff shouldContainOnly listOf(b.id)
            handle.mayClose(a) shouldBe true // the refusals answered a's hand-offs
            kept.map { it.second }.filter { it.isNotEmpty() }.toSet() shouldBe setOf(listOf(a.id))
            // Each client talks to the worker that took it: nothing was lost on the way back.
            kept.forEach { (connection, _) -> connection.write(ByteBuffer.wrap(byteArrayOf(7))) }
            clients.forEach { readByte(it) shouldBe 7 }
            kept.forEach { it.first.close() }
        }
    }

    test("a connection every worker refuses is closed, not passed around for ever") {
        withHandle(maxPending = 8) { handle, connect ->
            val (a, b) = handle.leases(2)
            a.refuses(handle)
            b.refuses(handle)
            val client = connect(1).single()
            readByte(client) shouldBe -1
            a.link().handedOff shouldBe listOf(a.id)
            b.link().handedOff shouldBe listOf(b.id)
        }
    }
})

private fun Lease.link() = link as FakeLink

/** This fake worker takes each connection, keeps it with the leases that refused it before, and acknowledges it. */
private fun Lease.takesAndAcknowledges(handle: RoundRobinHandle): List<Pair<SocketChannel, List<Int>>> {
    val kept = Collections.synchronizedList(mutableListOf<Pair<SocketChannel, List<Int>>>())
    link().onHandoff = { _, connection, refusedBy ->
        kept += (connection as Handle.TcpConnection).channel to refusedBy
        handle.taken(this, 1)
    }
    return kept
}

/** This fake worker sends each connection back, as a real one sends back the descriptor with its refusal. */
private fun Lease.refuses(handle: RoundRobinHandle) {
    link().onHandoff = { _, connection, refusedBy ->
        handle.refused(this, (connection as Handle.TcpConnection).channel, (refusedBy + id).toSet())
    }
}

private suspend fun readByte(client: SocketChannel): Int = withTimeout(5_000) {
    runInterruptible(Dispatchers.IO) {
        val buffer = ByteBuffer.allocate(1)
        if (client.read(buffer) < 0) -1 else buffer.get(0).toInt()
    }
}

private fun RoundRobinHandle.leases(count: Int): List<Lease> = List(count) { i ->
    Lease(i + 1, i + 1, FakeLink(), this).also { add(it); listening(it) }
}

private suspend fun awaitHandOffs(vararg leases: Lease, total: Int = 0, done: () -> Boolean = { leases.sumOf { it.link().handedOff.size } >= total }) {
    withTimeout(5_000) { while (!done()) delay(5) }
}

private suspend fun withHandle(maxPending: Int, block: suspend (RoundRobinHandle, (Int) -> List<SocketChannel>) -> Unit) {
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    val channel = SocketBinding.listen(InetSocketAddress("127.0.0.1", 0), 50)
    val handle = RoundRobinHandle(PortKey(WireAddress.of(channel.localAddress), 50, 0), channel, scope, maxPending)
    val clients = Collections.synchronizedList(mutableListOf<SocketChannel>())
    try {
        block(handle) { count -> List(count) { SocketChannel.open(channel.localAddress) }.also { clients += it } }
    } finally {
        clients.forEach { it.close() }
        handle.close()
        scope.cancel()
    }
}
