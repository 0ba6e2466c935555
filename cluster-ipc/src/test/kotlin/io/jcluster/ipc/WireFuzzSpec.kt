package io.jcluster.ipc

import io.kotest.assertions.fail
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.ints.shouldBeLessThanOrEqual
import io.kotest.matchers.collections.shouldBeIn
import io.kotest.matchers.shouldBe
import io.kotest.property.Arb
import io.kotest.property.PropTestConfig
import io.kotest.property.arbitrary.arbitrary
import io.kotest.property.checkAll
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import io.jcluster.ipc.internal.WireFormat
import java.util.Collections
import java.util.TreeMap
import kotlin.random.Random
import kotlin.time.Duration.Companion.seconds

/**
 * Wire fuzzing. Random and mutated frames (truncated, forged lengths, bad kinds, handles announced
 * without descriptors, descriptors no frame announced, lying handle descriptors, random bytes) go
 * into the frame decoder over a real socket pair, then into whole connections; payloads that are
 * valid on the wire but not as messages (bad UTF-8, bad JSON, nesting 200,000 deep) go into an open
 * connection. What must hold for every input: the decoder stops within seconds with a decoded stream
 * or one of the wire's own errors (the one the mutation calls for, where it calls for one); its
 * buffer grows only with bytes that came, never with a forged length; no descriptor leaks; no
 * exception escapes to a thread or a collector; a bad frame closes its own connection only, a bad
 * payload loses its own message only. The seed is fixed, so a run is repeatable; the counts are printed.
 */
@OptIn(io.kotest.common.ExperimentalKotest::class) // PropTestConfig(seed = …)
class WireFuzzSpec : FunSpec({
    timeout = 60_000
    val seeded = PropTestConfig(seed = 7_2026)
    val specificErrors = setOf(
        MalformedFrameException::class, FrameTooLargeException::class, TruncatedFrameException::class,
        MissingHandleException::class, UnexpectedHandleException::class,
    )

    test("valid streams decode whole: the harness itself breaks nothing") {
        DecoderHarness().use { harness ->
            checkAll(300, seeded, Arb.validStreams()) { input ->
                val outcome = harness.run(input)
                withClue(input) { "${outcome.error} ${outcome.frames}" shouldBe "null ${input.writes.size}" }
            }
        }
    }

    test("each mutated or random stream stops the decoder with its own error, allocates for no forged length and leaks no descriptor") {
        val counts = TreeMap<String, Int>()
        DecoderHarness().use { harness ->
            repeat(20) { harness.run(FuzzInput("warm-up", FuzzInputs.validStream(Random(it)))) } // the JDK opens some files lazily
            val fdsBefore = openFdCount()
            checkAll(4_000, seeded, FuzzInputs.mutated) { input ->
                val outcome = harness.run(input)
                val error = outcome.error
                withClue("$input gave ${error?.stackTraceToString()}") {
                    if (error != null && error::class !in specificErrors) fail("not one of the wire's errors")
                    input.expected?.let { expected -> error?.let { it::class } shouldBe expected }
                    outcome.bufferCapacity shouldBeLessThanOrEqual maxOf(DecoderHarness.INITIAL_BUFFER, 2 * input.size)
                }
                counts.merge("${input.category} → ${error?.let { it::class.simpleName } ?: "decoded"}", 1, Int::plus)
            }
            withClue("descriptors left open by 4,000 inputs") { openFdCount() shouldBe fdsBefore }
        }
        println("wire fuzz, decoder: ${counts.values.sum()} inputs: $counts")
    }

    test("over whole connections a bad frame closes its own connection with its error; another connection goes on") {
        val escaped = Collections.synchronizedList(mutableListOf<Throwable>())
        val previousHandler = Thread.getDefaultUncaughtExceptionHandler()
        Thread.setDefaultUncaughtExceptionHandler { _, e -> escaped += e }
        val counts = TreeMap<String, Int>()
        DecoderHarness().use { harness ->
            val bystander = connectedPair(harness)
            try {
                val talk = bystander.first.open(Lane.USER, JsonCodec(TestMessage.serializer()))
                val hear = bystander.second.open(Lane.USER, JsonCodec(TestMessage.serializer()))
                var n = 0
                checkAll(200, seeded, FuzzInputs.mutated) { input ->
                    val cause = attack(harness, input)
                    withClue("$input closed its connection with $cause") {
                        if (cause != null && cause::class !in specificErrors) fail("not one of the wire's errors")
                        input.expected?.let { expected -> cause?.let { it::class } shouldBe expected }
                    }
                    talk.send(TestMessage.Text(++n, "still here"))
                    hear.receive().message shouldBe TestMessage.Text(n, "still here")
                    counts.merge(cause?.let { it::class.simpleName } ?: "closed in order", 1, Int::plus)
                }
                bystander.first.isOpen shouldBe true
            } finally {
                bystander.first.close()
                bystander.second.close()
                Thread.setDefaultUncaughtExceptionHandler(previousHandler)
            }
        }
        escaped.shouldBeEmpty()
        println("wire fuzz, connections: ${counts.values.sum()} inputs: $counts")
    }

    test("a payload no codec can read loses only its own message: reported, a call answered, the connection open") {
        val harness = DecoderHarness()
        val ends = harness.connect()
        val connection = IpcConnection(ends.end, IpcOptions(name = "payload-fuzz")).start()
        val typed = connection.open(Lane.USER, JsonCodec(TestMessage.serializer()))
        val trees = connection.open(Lane.CONTROL, JsonCodec.tree())
        val counts = TreeMap<String, Int>()
        try {
            coroutineScope {
                val outcomes = Channel<String>(Channel.UNLIMITED)
                val watchers = listOf(
                    launch(Dispatchers.Unconfined, CoroutineStart.UNDISPATCHED) { connection.errors.collect { outcomes.send("error ${it::class.simpleName}") } },
                    launch { typed.incoming.collect { outcomes.send("delivered") } },
                    launch { trees.incoming.collect { outcomes.send("delivered") } },
                )
                run {
                    checkAll(1_000, seeded, FuzzInputs.payloads, Arb.lanes()) { payload, kind ->
                        val frame = WireFormat.encode(kind, 0, 0, 0, ByteArray(0), payload.bytes)
                        harness.write(ends.raw, FuzzInput(payload.label, listOf(RawWrite(frame)), holdOpen = true))
                        val outcome = withTimeout(5.seconds) { outcomes.receive() }
                        val typedLane = kind == WireFormat.KIND_USER
                        val lane = if (typedLane) "typed" else "tree"
                        val label = payload.label
                        withClue("$label on the $lane lane") {
                            (if (typedLane) payload.message else payload.json)?.let { valid ->
                                outcome shouldBe if (valid) "delivered" else "error UndecodableMessageException"
                            }
                            outcome shouldBeIn listOf("delivered", "error UndecodableMessageException")
                        }
                        counts.merge("$label ($lane) → $outcome", 1, Int::plus)
                    }
                }
                connection.isOpen shouldBe true
                ends.raw.close()
                withTimeout(5.seconds) { connection.awaitClosed() } shouldBe null
                watchers.forEach { it.cancel() }
            }
        } finally {
            connection.close()
            ends.raw.close()
            harness.close()
        }
        println("wire fuzz, payloads: ${counts.values.sum()} inputs: $counts")
    }
})

private fun Arb.Companion.validStreams(): Arb<FuzzInput> = arbitrary { rs -> FuzzInput("valid", FuzzInputs.validStream(rs.random)) }

private fun Arb.Companion.lanes(): Arb<Int> = arbitrary { rs -> if (rs.random.nextBoolean()) WireFormat.KIND_USER else WireFormat.KIND_CONTROL }

private fun connectedPair(harness: DecoderHarness): Pair<IpcConnection, IpcConnection> {
    val ends = harness.connect()
    return IpcConnection(ends.raw, IpcOptions(name = "bystander-a")).start() to IpcConnection(ends.end, IpcOptions(name = "bystander-b")).start()
}

/**
 * Feeds [input] to a fresh connection whose two lanes are collected, and returns why it closed. Fails
 * if a collector ends with anything but the connection's own cause, or the connection does not close.
 */
private suspend fun attack(harness: DecoderHarness, input: FuzzInput): IpcException? = coroutineScope {
    val ends = harness.connect()
    val connection = IpcConnection(ends.end, IpcOptions(maxFrameSize = FuzzInputs.MAX_FRAME, name = "victim")).start()
    try {
        val collectors = listOf(
            connection.open(Lane.USER, JsonCodec(TestMessage.serializer())),
            connection.open(Lane.CONTROL, JsonCodec.tree()),
        ).map { lane -> async { runCatching { lane.incoming.collect { message -> message.handles.forEach { it.close() } } }.exceptionOrNull() } }
        val writer = launch(Dispatchers.IO) { runCatching { harness.write(ends.raw, input) } }
        val cause = withTimeout(5.seconds) { connection.awaitClosed() }
        ends.raw.close()
        writer.join()
        collectors.forEach { collector ->
            val failure = collector.await()
            // The flow rethrows the connection's cause (coroutines may hand over a copy with a recovered stack trace).
            if (failure != null) withClue("a collector of $input ended with $failure") { "${failure::class} ${failure.message}" shouldBe "${cause?.let { it::class }} ${cause?.message}" }
        }
        cause
    } finally {
        connection.close()
        ends.raw.close()
    }
}
