package io.jcluster.http

import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runInterruptible
import kotlinx.coroutines.withTimeoutOrNull
import java.net.InetAddress
import java.net.InetSocketAddress
import java.nio.channels.ServerSocketChannel
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlin.time.TimeSource

/**
 * What every adapter does in one process, driven through its two ways in: a listening socket (as
 * the primary, exclusive, shared and reuse-port give), and connections accepted elsewhere and handed
 * over (round-robin). The multi-process behaviour is [ClusterHttpContract]'s.
 */
abstract class HttpAdapterContract(adapter: AdapterUnderTest) : FunSpec({
    timeout = 30_000

    fun listening() = ServerSocketChannel.open().bind(InetSocketAddress(InetAddress.getLoopbackAddress(), 0))

    test("$adapter: keep-alive requests share a connection; after a Connection: close request the server closes it") {
        listening().use { socket ->
            adapter.start(socket).use { server ->
                RawConnection(socket.port).use { connection ->
                    repeat(3) { connection.get().body shouldBe TestHandlers.WHO_AM_I }
                    val last = connection.get(close = true)
                    (last.status to last.closes) shouldBe (200 to true)
                    connection.closedByServer() shouldBe true
                }
                server.stats.requests shouldBe 4
            }
        }
    }

    for ((error, name) in listOf("oom" to "OutOfMemoryError", "soe" to "StackOverflowError")) {
        test("$adapter: a handler that throws $name is answered 500, and the server goes on serving") {
            listening().use { socket ->
                adapter.start(socket).use { server ->
                    RawConnection(socket.port).use { connection ->
                        val failed = connection.get("/?throw=$error")
                        (failed.status to failed.closes) shouldBe (500 to true) // the handler's state is unknown: a fresh connection
                        connection.closedByServer() shouldBe true
                    }
                    RawConnection(socket.port).use { it.get().body shouldBe TestHandlers.WHO_AM_I }
                    server.stats.requests shouldBe 2
                }
            }
        }
    }

    test("$adapter: serves connections accepted elsewhere and handed over, as under round-robin") {
        listening().use { handoff ->
            adapter.start(null).use { server ->
                val connections = List(2) { RawConnection(handoff.port) }
                connections.forEach { server.adopt(runInterruptible(Dispatchers.IO) { handoff.accept() }) shouldBe true }
                connections.forEach { connection ->
                    connection.get().body shouldBe TestHandlers.WHO_AM_I
                    connection.get(close = true).closes shouldBe true
                    connection.closedByServer() shouldBe true
                    connection.close()
                }
                server.stats.requests shouldBe 4
            }
        }
    }

    test("$adapter: stats count requests and the connections open now") {
        listening().use { socket ->
            adapter.start(socket).use { server ->
                RawConnection(socket.port).use { first ->
                    RawConnection(socket.port).use { second ->
                        first.get(); first.get(); second.get()
                        server.stats shouldBe HttpStats(requests = 3, openConnections = 2)
                    }
                }
            }
        }
    }

    test("$adapter: stop finishes the request in flight and closes the keep-alive connections; the listener stays open") {
        listening().use { socket ->
            val server = adapter.start(socket)
            RawConnection(socket.port).use { slow ->
                RawConnection(socket.port).use { idle ->
                    idle.get()
                    slow.send("/?delay=600")
                    awaitUntil { server.stats.requests == 2L }
                    // Opened just before the stop, since a connection idle for IDLE_GRACE by then is closed at
                    // once, and with no exchange of its own: Jetty may close a connection whose keep-alive
                    // response it finishes as the stop begins (a race every HTTP/1.1 client must retry).
                    RawConnection(socket.port).use { busy ->
                        awaitUntil { server.stats.openConnections == 3 }
                        val stopping = async(Dispatchers.IO) { server.stop(10.seconds) }
                        awaitUntil { server.isStopping }

                        val during = busy.get()
                        withClue("$during") { during.closes shouldBe true } // a request during the stop: answered, then closed
                        busy.closedByServer() shouldBe true
                        val answer = slow.read()
                        (answer.status to answer.closes) shouldBe (200 to true)
                        slow.closedByServer() shouldBe true
                        idle.closedByServer() shouldBe true // after the idle grace
                        stopping.await()
                    }
                }
            }
            server.adopt(java.nio.channels.SocketChannel.open()) shouldBe false
            socket.isOpen shouldBe true // the server closed its own descriptor, not the listener's
        }
    }

    test("$adapter: stop gives up on a request that outlives the timeout") {
        listening().use { socket ->
            val server = adapter.start(socket)
            RawConnection(socket.port).use { slow ->
                slow.send("/?delay=5000")
                awaitUntil { server.stats.requests == 1L }
                val started = TimeSource.Monotonic.markNow()
                server.stop(300.milliseconds)
                (started.elapsedNow() < 3.seconds) shouldBe true
                slow.closedByServer() shouldBe true
            }
        }
    }
})

private val ServerSocketChannel.port get() = (localAddress as InetSocketAddress).port

/** Waits (up to 10 s) until [condition] holds, looking every 10 ms: for state no event announces. */
suspend fun awaitUntil(what: () -> String = { "the condition" }, condition: () -> Boolean) {
    withTimeoutOrNull(10.seconds) { while (!condition()) delay(10) } ?: throw AssertionError("waited 10 s for ${what()}")
}

class JdkHttpSpec : HttpAdapterContract(AdapterUnderTest.Jdk) {
    init {
        test("jdk: in a JVM without the add-opens flag, serving fails with a message naming the flag") {
            val java = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString()
            val process = ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), JdkWithoutFlag::class.java.name)
                .redirectErrorStream(true).start()
            try {
                val output = runInterruptible(Dispatchers.IO) { process.inputStream.bufferedReader().readText() }
                process.waitFor() shouldBe 0
                output.trim() shouldBe "IllegalStateException: serving the JDK's HttpServer on a cluster listener needs the JVM flag " +
                    "`--add-opens=jdk.httpserver/sun.net.httpserver=ALL-UNNAMED` (the primary adds it for its workers; " +
                    "add it to the primary's own command line)"
            } finally {
                process.destroyForcibly()
            }
        }
    }
}

/** Starts the JDK adapter's server and prints why it could not (run without the add-opens flag). */
object JdkWithoutFlag {
    @JvmStatic
    fun main(args: Array<String>) {
        try {
            AdapterUnderTest.Jdk.start(null).close()
            println("started")
        } catch (e: IllegalStateException) {
            println("IllegalStateException: ${e.message}")
        }
    }
}
class JettySpec : HttpAdapterContract(AdapterUnderTest.Jetty)
class NettySpec : HttpAdapterContract(AdapterUnderTest.Netty)
