package io.jcluster

import io.jcluster.WorkerEvent.Listening
import io.jcluster.WorkerEvent.Online
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldHaveAtLeastSize
import io.kotest.matchers.nulls.shouldBeNull
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.net.InetSocketAddress
import java.nio.ByteBuffer
import java.nio.channels.SocketChannel

/**
 * Sticky sessions under round-robin, with real workers: the same key lands on the same worker, and a
 * worker that dies takes only its own keys with it. Clients come from distinct loopback addresses
 * (all of 127.0.0.0/8 is this machine on Linux) or send a cookie.
 */
class StickySpec : FunSpec({
    timeout = 90_000
    val clients = (2..31).map { "127.0.0.$it" }

    test("by client IP: each address keeps its worker; killing one worker moves only its addresses") {
        val settings = testSettings("serve").copy(sticky = StickySessions.CLIENT_IP)
        withCluster(settings) { primary, log ->
            val workers = List(3) { primary.fork() }
            val port = workers.map { it.listen(log, ListenCommand()) }.distinct().single()
            val before = clients.associateWith { ip -> lineFrom(ip, port) }
            clients.associateWith { ip -> lineFrom(ip, port) } shouldBe before // the same key, the same worker
            before.values.toSet() shouldHaveAtLeastSize 2 // keys spread: not everything on one worker

            val victim = workers.first { w -> w.id in before.values }
            victim.kill(Signal.KILL)
            log.awaitGone(victim)
            val after = clients.associateWith { ip -> lineFrom(ip, port) }
            for (ip in clients) {
                if (before[ip] == victim.id) (after[ip] == victim.id) shouldBe false else after[ip] shouldBe before[ip]
            }
        }
    }

    test("by cookie: the primary peeks at the request without consuming it; the same cookie keeps its worker") {
        val settings = testSettings("serve").copy(sticky = StickySessions(StickyKey.cookie("sid")))
        withCluster(settings) { primary, log ->
            val workers = List(3) { primary.fork() }
            val port = workers.map { it.listen(log, ListenCommand(readHead = true)) }.distinct().single()
            val sessions = (1..30).map { "s$it" }
            val before = sessions.associateWith { sid -> request(port, sid).also { (_, read) -> read shouldBe requestText(sid).length }.first }
            sessions.associateWith { sid -> request(port, sid, split = true).first } shouldBe before
            before.values.toSet() shouldHaveAtLeastSize 2

            val victim = workers.first { w -> w.id in before.values }
            victim.kill(Signal.KILL)
            log.awaitGone(victim)
            val after = sessions.associateWith { sid -> request(port, sid).first }
            for (sid in sessions) if (before[sid] == victim.id) (after[sid] == victim.id) shouldBe false else after[sid] shouldBe before[sid]
        }
    }

    test("sticky per listener; asking it of a shared listener fails the listen in one line") {
        withCluster(testSettings("serve")) { primary, log ->
            val worker = primary.fork()
            worker.listen(log, ListenCommand(sticky = true)).let { port -> (2..9).map { lineFrom("127.0.0.$it", port) }.toSet() shouldBe setOf(worker.id) }
            log.await<Online>(worker)
            val shared = ListenCommand(name = "shared", strategy = "shared", sticky = true)
            worker.send(shared)
            val failed = log.await { _ -> log.messagesOf(worker).filterIsInstance<ListenResult>().firstOrNull { it.command == shared } }
            failed.error!! shouldContain "sticky sessions route round-robin connections"
        }
    }
})

/** Has this `serve` worker listen as [command] says; returns the port once the primary saw it listening. */
private suspend fun Worker.listen(log: EventLog, command: ListenCommand): Int {
    log.await<Online>(this)
    send(command)
    val result = log.await { _ -> log.messagesOf(this).filterIsInstance<ListenResult>().firstOrNull { it.command == command } }
    result.error.shouldBeNull()
    log.await<Listening>(this)
    return result.port
}

/** The worker id a connection from [ip] to [port] is answered with. */
private suspend fun lineFrom(ip: String, port: Int): Int = withContext(Dispatchers.IO) {
    SocketChannel.open().use { channel ->
        channel.bind(InetSocketAddress(ip, 0))
        channel.connect(InetSocketAddress("127.0.0.1", port))
        readAll(channel).trim().toInt()
    }
}

private fun requestText(sid: String) = "GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1; sid=$sid\r\n\r\n"

/** Sends an HTTP head with cookie [sid] (in two writes a moment apart if [split]); the worker's id, and how many bytes it read. */
private suspend fun request(port: Int, sid: String, split: Boolean = false): Pair<Int, Int> = withContext(Dispatchers.IO) {
    SocketChannel.open(InetSocketAddress("127.0.0.1", port)).use { channel ->
        val text = requestText(sid)
        val cut = if (split) text.indexOf("Cookie") else text.length
        channel.write(ByteBuffer.wrap(text.substring(0, cut).toByteArray()))
        if (split) {
            Thread.sleep(SPLIT_PAUSE_MILLIS) // a request that comes in two segments: the primary waits for the cookie
            channel.write(ByteBuffer.wrap(text.substring(cut).toByteArray()))
        }
        val (id, read) = readAll(channel).trim().split(' ')
        id.toInt() to read.toInt()
    }
}

private fun readAll(channel: SocketChannel): String {
    val buffer = ByteBuffer.allocate(64)
    while (channel.read(buffer) >= 0) Unit
    return String(buffer.array(), 0, buffer.position())
}

private const val SPLIT_PAUSE_MILLIS = 30L
