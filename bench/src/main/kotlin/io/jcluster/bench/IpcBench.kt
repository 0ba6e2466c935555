package io.jcluster.bench

import io.jcluster.ipc.Handle
import io.jcluster.ipc.Ipc
import io.jcluster.ipc.IpcServer
import io.jcluster.ipc.JsonCodec
import io.jcluster.ipc.Lane
import io.jcluster.ipc.MessageChannel
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import kotlinx.serialization.SerialName
import kotlinx.serialization.Serializable
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.double
import java.net.InetAddress
import java.net.InetSocketAddress
import java.nio.channels.ServerSocketChannel
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit
import kotlin.system.exitProcess
import kotlin.time.Duration.Companion.seconds

/** The bench protocol: every [Data] encodes to 64 bytes of JSON, like Node's peer messages. */
@Serializable
sealed interface BenchMessage {
    @Serializable @SerialName("d")
    data class Data(val seq: Int, val pad: String) : BenchMessage

    /** Primary → child: send [count] Data messages as fast as the channel takes them. */
    @Serializable @SerialName("blast")
    data class Blast(val count: Int) : BenchMessage

    /** Comes with a handle the child closes; the child acknowledges every [ackEvery]th. */
    @Serializable @SerialName("h")
    data class HandleTransfer(val seq: Int, val ack: Boolean) : BenchMessage
}

private fun data(seq: Int): BenchMessage.Data {
    val bare = """{"type":"d","seq":$seq,"pad":""}""".length
    return BenchMessage.Data(seq, "x".repeat(64 - bare))
}

/**
 * `bench/run ipc`: 64-byte messages between two JVMs over cluster-ipc (one-way throughput, round-trip
 * latency, handle transfers), with Node's `cluster` IPC measured in the same run.
 */
object IpcBench {
    private const val ONEWAY = 1_000_000
    private const val ONEWAY_WARMUP = 500_000
    private const val ROUNDS = 3
    private const val ROUNDTRIPS = 20_000
    private const val RTT_WARMUP = 5_000
    private const val HANDLES = 50_000
    private const val HANDLE_WARMUP = 20_000

    @JvmStatic
    fun main(args: Array<String>) {
        if (args.firstOrNull() == "child") return runBlocking { child(Path.of(args[1])) }.also { exitProcess(0) }
        val nodeScript = Path.of(args.getOrElse(0) { "bench/node/ipc-peer.js" })
        val resultsDir = Path.of(args.getOrElse(1) { "bench/results" })
        val report = runBlocking { withTimeout(180.seconds) { measure(nodeScript) } }
        report.print()
        report.write(resultsDir)
        exitProcess(0)
    }

    private suspend fun measure(nodeScript: Path): BenchReport {
        val dir = Files.createTempDirectory("jcluster-bench")
        val server = IpcServer.bind(dir.resolve("ipc.sock"))
        val child = ChildJvm.start(IpcBench::class.java.name, "child", server.path.toString())
        try {
            val connection = server.accept()
            val channel = connection.open(Lane.USER, JsonCodec(BenchMessage.serializer()))
            val (oneway, p50, p99, handles) = withContext(Dispatchers.Unconfined) {
                listOf(oneWay(channel)) + roundTrips(channel).toList() + handleTransfers(channel)
            }
            connection.close()
            child.waitFor(10, TimeUnit.SECONDS) // Node runs on a quiet machine
            val node = NodePeer.median(nodeScript, ROUNDS)
            return BenchReport("ipc", listOf(
                BenchResult("oneway_msgs_per_s", oneway, "msg/s", "node-cluster", node?.get("oneway_msgs_per_s")),
                BenchResult("rtt_p50_us", p50, "us", "node-cluster", node?.get("rtt_p50_us")),
                BenchResult("rtt_p99_us", p99, "us", "node-cluster", node?.get("rtt_p99_us")),
                BenchResult("handle_transfers_per_s", handles, "handle/s"),
            ))
        } finally {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS)
            server.close()
            dir.toFile().deleteRecursively()
        }
    }

    /** The child sends; the clock runs from the first message received to the last. Median of [ROUNDS]. */
    private suspend fun oneWay(channel: MessageChannel<BenchMessage>): Double {
        channel.send(BenchMessage.Blast(ONEWAY_WARMUP))
        repeat(ONEWAY_WARMUP) { channel.receive().message }
        return List(ROUNDS) { oneWayRound(channel) }.sorted()[ROUNDS / 2]
    }

    private suspend fun oneWayRound(channel: MessageChannel<BenchMessage>): Double {
        channel.send(BenchMessage.Blast(ONEWAY))
        channel.receive().message
        val start = System.nanoTime()
        repeat(ONEWAY - 1) { channel.receive().message }
        return (ONEWAY - 1) / ((System.nanoTime() - start) / 1e9)
    }

    /** Ping-pong with plain sends, as Node's peer does with `process.send`. */
    private suspend fun roundTrips(channel: MessageChannel<BenchMessage>): Pair<Double, Double> {
        val times = LongArray(ROUNDTRIPS)
        for (i in -RTT_WARMUP until ROUNDTRIPS) {
            val start = System.nanoTime()
            channel.send(data(i))
            check((channel.receive().message as BenchMessage.Data).seq == i)
            if (i >= 0) times[i] = System.nanoTime() - start
        }
        times.sort()
        return percentile(times, 50.0) / 1e3 to percentile(times, 99.0) / 1e3
    }

    /** A handle with every message, the child closing each and answering the last. Median of [ROUNDS], after a warm-up. */
    private suspend fun handleTransfers(channel: MessageChannel<BenchMessage>): Double {
        ServerSocketChannel.open().bind(InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).use { listener ->
            handleRound(channel, Handle.TcpListener(listener), HANDLE_WARMUP)
            return List(ROUNDS) { handleRound(channel, Handle.TcpListener(listener), HANDLES) }.sorted()[ROUNDS / 2]
        }
    }

    private suspend fun handleRound(channel: MessageChannel<BenchMessage>, handle: Handle, count: Int): Double {
        val start = System.nanoTime()
        for (i in 1..count) channel.send(BenchMessage.HandleTransfer(i, ack = i == count), handle)
        check((channel.receive().message as BenchMessage.HandleTransfer).seq == count)
        return count / ((System.nanoTime() - start) / 1e9)
    }

    private suspend fun child(path: Path) {
        val connection = Ipc.connect(path)
        val channel = connection.open(Lane.USER, JsonCodec(BenchMessage.serializer()))
        withContext(Dispatchers.Unconfined) { channel.incoming.collect { incoming ->
            when (val message = incoming.message) {
                is BenchMessage.Blast -> repeat(message.count) { channel.send(data(it)) }
                is BenchMessage.Data -> channel.send(message)
                is BenchMessage.HandleTransfer -> {
                    incoming.handle?.close()
                    if (message.ack) channel.send(message)
                }
            }
        } }
    }
}

/** Node's `cluster` IPC figures, from bench/node/ipc-peer.js run now; null (with a note) if node is missing. */
object NodePeer {
    /** Each figure's median over [runs] runs. */
    fun median(script: Path, runs: Int): Map<String, Double>? {
        val all = List(runs) { run(script) ?: return null }
        return all.first().keys.associateWith { key -> all.map { it.getValue(key) }.sorted()[runs / 2] }
    }

    fun run(script: Path): Map<String, Double>? {
        val process = try {
            ProcessBuilder("node", script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start()
        } catch (e: java.io.IOException) {
            System.err.println("node not found, peer figures skipped: ${e.message}")
            return null
        }
        val output = process.inputStream.bufferedReader().readText()
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly()
            System.err.println("node peer failed; peer figures skipped")
            return null
        }
        return Json.parseToJsonElement(output.trim().lines().last()).jsonObject.mapValues { it.value.jsonPrimitive.double }
    }
}
