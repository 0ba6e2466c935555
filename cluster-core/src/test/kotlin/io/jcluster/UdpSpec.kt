package io.jcluster

import io.jcluster.WorkerEvent.Listening
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.net.InetSocketAddress
import java.net.SocketTimeoutException
import java.nio.ByteBuffer
import java.nio.channels.DatagramChannel

/** A UDP socket shared by every worker (Node's dgram in a cluster), with real worker JVMs. */
class UdpSpec : FunSpec({
    timeout = 60_000

    test("two workers share one UDP port: datagrams reach both, replies come back; one dying leaves the port to the other") {
        withCluster(testSettings("udp")) { primary, log ->
            val workers = List(2) { primary.fork() }
            val bound = workers.map { w -> log.await { _ -> log.messagesOf(w).filterIsInstance<UdpBound>().firstOrNull() } }
            workers.forEach { log.await<Listening>(it) }
            val port = bound.map { it.port }.distinct().single()

            val replies = exchange(port, (1..60).map { "a$it" })
            replies.values.toSet() shouldBe workers.map { it.id }.toSet() // both workers received some
            replies.keys shouldBe (1..60).map { "a$it" }.toSet() // and every datagram was answered

            val (victim, survivor) = workers
            victim.kill(Signal.KILL)
            log.awaitGone(victim)
            exchange(port, (1..20).map { "b$it" }).values.toSet() shouldBe setOf(survivor.id)
        }
    }
})

/** Sends [payloads] to [port] at once; each payload's answer, by the worker id that answered it. */
private suspend fun exchange(port: Int, payloads: List<String>): Map<String, Int> = withContext(Dispatchers.IO) {
    DatagramChannel.open().use { client ->
        client.bind(InetSocketAddress("127.0.0.1", 0))
        val target = InetSocketAddress("127.0.0.1", port)
        payloads.forEach { client.send(ByteBuffer.wrap(it.toByteArray()), target) }
        val socket = client.socket().apply { soTimeout = REPLY_TIMEOUT_MILLIS }
        val answers = HashMap<String, Int>()
        val packet = java.net.DatagramPacket(ByteArray(512), 512)
        while (answers.size < payloads.size) {
            try {
                socket.receive(packet)
            } catch (e: SocketTimeoutException) {
                break
            }
            val (id, payload) = String(packet.data, 0, packet.length).split(' ')
            answers[payload] = id.toInt()
        }
        answers
    }
}

private const val REPLY_TIMEOUT_MILLIS = 10_000
