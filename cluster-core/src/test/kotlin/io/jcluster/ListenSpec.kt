package io.jcluster

import io.jcluster.WorkerEvent.Listening
import io.jcluster.WorkerEvent.Online
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldContainExactlyInAnyOrder
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.nulls.shouldBeNull
import io.kotest.matchers.nulls.shouldNotBeNull
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.withContext
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.StandardProtocolFamily
import java.net.UnixDomainSocketAddress
import java.nio.ByteBuffer
import java.nio.channels.SocketChannel
import java.nio.file.Files

/** Workers listening on one port through the primary (Node's test-cluster-*-listen*, test-cluster-shared-handle-*). */
class ListenSpec : FunSpec({
    timeout = 60_000

    context("two workers serve one port") {
        withData(SharingStrategy.entries) { strategy ->
            withCluster(testSettings("serve")) { primary, log ->
                val workers = List(2) { primary.fork() }
                val command = ListenCommand(port = 0, strategy = strategy.configName, answerDelayMillis = 20)
                val results = workers.map { worker -> worker.send(command); log.result(worker, command) }
                results.forEach { it.error.shouldBeNull() }
                val port = results.first().port
                results.map { it.port } shouldBe listOf(port, port) // listen(0): one real port for all

                workers.forEach { worker ->
                    val listening = log.await<Listening>(worker)
                    (listening.address as InetSocketAddress).port shouldBe port
                    listening.family shouldBe StandardProtocolFamily.INET
                    worker.state.value shouldBe WorkerState.Listening
                }
                val answeredBy = connectMany(port, 40)
                answeredBy.toSet() shouldBe workers.map { it.id }.toSet()
            }
        }
    }

    test("round-robin alternates, and a refused connection goes to the other worker") {
        withCluster(testSettings("serve").copy(strategy = SharingStrategy.ROUND_ROBIN)) { primary, log ->
            val (taker, refuser) = List(2) { primary.fork() }
            val port = taker.listen(log, ListenCommand(port = 0)).port
            refuser.listen(log, ListenCommand(port = 0, refuse = true)).port shouldBe port
            log.await<Listening>(refuser)
            connectMany(port, 20, parallel = false).toSet() shouldBe setOf(taker.id)
        }
    }

    test("a port in use fails the worker's listen with a BindException naming the address; once free, the retry works") {
        withCluster(testSettings("serve")) { primary, log ->
            val worker = primary.fork()
            val blocker = ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))
            val command = ListenCommand(port = blocker.localPort)
            val failed = worker.listen(log, command)
            failed.error.shouldNotBeNull() shouldStartWith "java.net.BindException"
            failed.error shouldContain "127.0.0.1:${blocker.localPort}"

            blocker.close()
            worker.send(command)
            log.results(worker, command, 2).last().error.shouldBeNull()
            log.await<Listening>(worker).port shouldBe blocker.localPort
            connectMany(blocker.localPort, 3).toSet() shouldBe setOf(worker.id)
        }
    }

    test("a worker closes and listens again, over and over; the primary frees the port after the last worker leaves") {
        withCluster(testSettings("serve")) { primary, log ->
            val worker = primary.fork()
            val port = ServerSocket(0).use { it.localPort }
            val command = ListenCommand(port = port)
            repeat(5) { round ->
                worker.send(command)
                log.results(worker, command, round + 1).last().error.shouldBeNull()
                connectMany(port, 2).toSet() shouldBe setOf(worker.id)
                worker.send(CloseCommand(command))
                log.await<Int> { _ -> log.closedCount(worker).takeIf { it == round + 1 } }
            }
            eventually { ServerSocket(port, 50, java.net.InetAddress.getByName("127.0.0.1")).close() }
        }
    }

    // Under shared the worker's copy and the primary's are one socket. A thread blocked in accept holds it in the kernel for a
    // moment after close() returns (the JDK closes it when that thread leaves accept): the primary's bind must not fail then.
    context("close() returns once the primary has the port back: a listen right after it never finds the port in use") {
        withData(SharingStrategy.entries) { strategy ->
            withCluster(testSettings("serve")) { primary, log ->
                val worker = primary.fork()
                val port = ServerSocket(0).use { it.localPort }
                val command = ListenCommand(port = port, strategy = strategy.configName)
                worker.send(command)
                log.result(worker, command).error.shouldBeNull()
                worker.send(RelistenCommand(command, times = if (strategy == SharingStrategy.SHARED) 1_000 else 20))
                val results = log.await { _ -> log.messagesOf(worker).filterIsInstance<Relistened>().firstOrNull() }.results
                results.mapNotNull { it.error } shouldBe emptyList()
                connectMany(port, 2).toSet() shouldBe setOf(worker.id)
            }
        }
    }

    test("one worker listens on several ports and a Unix socket at once, each with its own Listening event") {
        val dir = Files.createTempDirectory("jcluster-listen")
        try {
            withCluster(testSettings("serve")) { primary, log ->
                val worker = primary.fork()
                val path = dir.resolve("app.sock").toString()
                val ports = (1..2).map { worker.listen(log, ListenCommand(port = 0, name = "$it")).port }
                worker.listen(log, ListenCommand(path = path))
                ports.toSet() shouldHaveSize 2
                log.await { seen -> log.all.filter { it.event is Listening }.takeIf { it.size == 3 } }
                    .map { (it.event as Listening).family } shouldContainExactlyInAnyOrder
                    listOf(StandardProtocolFamily.INET, StandardProtocolFamily.INET, StandardProtocolFamily.UNIX)
                ports.forEach { connectMany(it, 1) shouldBe listOf(worker.id) }
                readLine(UnixDomainSocketAddress.of(path)) shouldBe worker.id
            }
        } finally {
            dir.toFile().deleteRecursively()
        }
    }

    test("exclusive binds in the worker alone: a second worker on the same port gets EADDRINUSE") {
        withCluster(testSettings("serve")) { primary, log ->
            val (first, second) = List(2) { primary.fork() }
            val port = first.listen(log, ListenCommand(port = 0, exclusive = true)).port
            val failed = second.listen(log, ListenCommand(port = port, exclusive = true))
            failed.error.shouldNotBeNull() shouldContain "127.0.0.1:$port"
            connectMany(port, 3).toSet() shouldBe setOf(first.id)
        }
    }
})

private suspend fun Worker.listen(log: EventLog, command: ListenCommand): ListenResult {
    log.await<Online>(this)
    send(command)
    return log.result(this, command)
}

private suspend fun EventLog.result(worker: Worker, command: ListenCommand): ListenResult = results(worker, command, 1).first()

/** Waits until [worker] answered [command] [count] times; returns those answers. */
private suspend fun EventLog.results(worker: Worker, command: ListenCommand, count: Int): List<ListenResult> =
    await { _ ->
        messagesOf(worker).filterIsInstance<ListenResult>().filter { it.command == command }.takeIf { it.size >= count }
    }

private fun EventLog.closedCount(worker: Worker) = messagesOf(worker).filterIsInstance<Closed>().size

/** Opens [count] connections to 127.0.0.1:[port] and returns the worker id each was answered by. */
internal suspend fun connectMany(port: Int, count: Int, parallel: Boolean = true): List<Int> = withContext(Dispatchers.IO) {
    val address = InetSocketAddress("127.0.0.1", port)
    if (!parallel) return@withContext List(count) { readLine(address) }
    coroutineScope { List(count) { async { readLine(address) } }.awaitAll() }
}

internal fun readLine(address: java.net.SocketAddress): Int = SocketChannel.open(address).use { channel ->
    val buffer = ByteBuffer.allocate(64)
    while (channel.read(buffer) >= 0) Unit
    String(buffer.array(), 0, buffer.position()).trim().toInt()
}

/** Retries [block] until it stops throwing, for at most 5 s (for state another process changes without telling us). */
private suspend fun eventually(block: () -> Unit) {
    val deadline = System.nanoTime() + 5_000_000_000
    while (true) {
        try {
            return block()
        } catch (e: Exception) {
            if (System.nanoTime() > deadline) throw e
            kotlinx.coroutines.delay(20)
        }
    }
}
