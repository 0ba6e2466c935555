package io.jcluster.samples

import io.jcluster.ipc.Handle
import io.jcluster.ipc.Ipc
import io.jcluster.ipc.IpcServer
import io.jcluster.ipc.JsonCodec
import io.jcluster.ipc.Lane
import io.jcluster.ipc.MessageChannel
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.runInterruptible
import kotlinx.serialization.SerialName
import kotlinx.serialization.Serializable
import java.net.InetSocketAddress
import java.nio.ByteBuffer
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.atomic.AtomicLong
import kotlin.system.exitProcess

/** The demo's protocol: a listening socket goes down, one notice per served request comes back. */
@Serializable
sealed interface DemoMessage {
    @Serializable @SerialName("serve")
    data object Serve : DemoMessage

    @Serializable @SerialName("request")
    data class RequestServed(val path: String) : DemoMessage
}

/**
 * The IPC layer on its own, before the cluster exists: this JVM binds a port, starts a second JVM,
 * hands it the listening socket over a Unix socket, and the second JVM serves HTTP on it, telling
 * the first of every request. `bin/ipc-demo [--port N]`, then `curl http://127.0.0.1:3000/`.
 */
object IpcDemo {
    @JvmStatic
    fun main(args: Array<String>) {
        if (args.firstOrNull() == "--worker") return runBlocking { worker(Path.of(args[1])) }
        val port = args.indexOf("--port").takeIf { it >= 0 }?.let { args[it + 1].toInt() } ?: 3000
        runBlocking { primary(port) }
    }

    private suspend fun primary(port: Int) {
        val listener = ServerSocketChannel.open().bind(InetSocketAddress("127.0.0.1", port))
        val dir = Files.createTempDirectory("jcluster-demo")
        val server = IpcServer.bind(dir.resolve("control.sock"))
        val worker = ProcessBuilder(javaCommand(server.path)).inheritIO().start()
        Runtime.getRuntime().addShutdownHook(Thread {
            worker.destroyForcibly()
            server.close()
            dir.toFile().deleteRecursively()
        })
        val connection = server.accept()
        val channel = connection.open(Lane.USER, JsonCodec(DemoMessage.serializer()))
        channel.send(DemoMessage.Serve, Handle.TcpListener(listener))
        println("primary ${ProcessHandle.current().pid()}: worker ${connection.peer.pid} serves http://127.0.0.1:$port/ (Ctrl-C stops both)")
        countRequests(channel)
        println("primary: the worker went away (${connection.closeCause?.message ?: "closed"})")
        exitProcess(1)
    }

    /** Node's message-counting example: print `numReqs = N` every second while notices come in. */
    private suspend fun countRequests(channel: MessageChannel<DemoMessage>) = coroutineScope {
        val served = AtomicLong()
        val printer = launch { while (true) { delay(1_000); println("numReqs = ${served.get()}") } }
        channel.incoming.collect { if (it.message is DemoMessage.RequestServed) served.incrementAndGet() }
        printer.cancel()
    }

    private suspend fun worker(control: Path) {
        val connection = Ipc.connect(control)
        val channel = connection.open(Lane.USER, JsonCodec(DemoMessage.serializer()))
        val listener = (channel.receive().handle as Handle.TcpListener).channel
        // The primary's channel closing ends this process: a worker never outlives its primary.
        Thread { runBlocking { connection.awaitClosed() }; exitProcess(0) }.apply { isDaemon = true }.start()
        while (true) {
            val client = runInterruptible(Dispatchers.IO) { listener.accept() }
            val path = client.use { answer(it) }
            channel.send(DemoMessage.RequestServed(path))
        }
    }

    private fun answer(client: SocketChannel): String {
        val request = ByteBuffer.allocate(8192).also { client.read(it) }.flip()
        val path = Charsets.US_ASCII.decode(request).toString().substringAfter(' ').substringBefore(' ')
        val body = "Hello World from worker ${ProcessHandle.current().pid()}\n"
        client.write(ByteBuffer.wrap("HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n$body".toByteArray()))
        return path
    }

    private fun javaCommand(control: Path): List<String> = listOf(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        *Ipc.jvmFlags.toTypedArray(),
        "-cp", System.getProperty("java.class.path"), IpcDemo::class.java.name, "--worker", control.toString(),
    )
}
