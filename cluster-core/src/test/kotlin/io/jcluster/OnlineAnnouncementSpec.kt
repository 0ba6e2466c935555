package io.jcluster

import io.jcluster.internal.OnlineAnnouncement
import io.jcluster.internal.OnlineFifo
import io.jcluster.internal.PrimaryInput
import io.jcluster.internal.WorkerEnvironment
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.nulls.shouldBeNull
import io.kotest.matchers.nulls.shouldNotBeNull
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.withTimeout
import java.io.RandomAccessFile
import java.nio.file.Files
import java.nio.file.Path
import kotlin.time.Duration.Companion.seconds

/** A worker's announcement through a real FIFO, read by the primary's [OnlineFifo]. */
class OnlineAnnouncementSpec : FunSpec({
    timeout = 20_000

    test("an announcement reads back as the worker's id, pid and token") {
        OnlineFifo.parse(OnlineAnnouncement.line(12, 4242, "0a1b").decodeToString().trimEnd('\n')) shouldBe PrimaryInput.Started(12, "0a1b", 4242)
        listOf("", "started", "started 1 2", "started x 2 t", "started 1 y t", "hello 1 2 t", "started 1 2 t extra").forEach { OnlineFifo.parse(it).shouldBeNull() }
    }

    test("a worker's announcement reaches the primary through the FIFO beside its control socket; other lines are skipped; close removes it") {
        withSocketDirectory { socket ->
            val inputs = Channel<PrimaryInput>(Channel.UNLIMITED)
            val fifo = OnlineFifo.open(socket) { inputs.trySend(it) }.shouldNotBeNull()
            try {
                fifo.path.toString() shouldBe OnlineAnnouncement.fifoOf(socket.toString())
                RandomAccessFile(fifo.path.toFile(), "rw").use { it.write("not an announcement\n".toByteArray()) }
                OnlineAnnouncement.announce(WorkerEnvironment(3, socket, "abc123"))
                withTimeout(10.seconds) { inputs.receive() } shouldBe PrimaryInput.Started(3, "abc123", ProcessHandle.current().pid())
            } finally {
                fifo.close()
            }
            Files.exists(fifo.path) shouldBe false
            Thread.getAllStackTraces().keys.filter { it.name == "jcluster-online-fifo" && it.isAlive }.shouldBeEmpty()
        }
    }

    test("without the primary's FIFO, or with a token the line cannot carry, a worker announces nothing and creates no file") {
        withSocketDirectory { socket ->
            OnlineAnnouncement.announce(WorkerEnvironment(3, socket, "abc123"))
            Files.exists(Path.of(OnlineAnnouncement.fifoOf(socket.toString()))) shouldBe false

            val inputs = Channel<PrimaryInput>(Channel.UNLIMITED)
            val fifo = OnlineFifo.open(socket) { inputs.trySend(it) }.shouldNotBeNull()
            try {
                OnlineAnnouncement.announce(WorkerEnvironment(3, socket, "two words"))
                OnlineAnnouncement.announce(WorkerEnvironment(4, socket, "abc123"))
                withTimeout(10.seconds) { inputs.receive() } shouldBe PrimaryInput.Started(4, "abc123", ProcessHandle.current().pid())
            } finally {
                fifo.close()
            }
        }
    }
})

private suspend fun withSocketDirectory(block: suspend (socket: Path) -> Unit) {
    val dir = Files.createTempDirectory("jcluster-announce")
    try {
        block(dir.resolve("control.sock"))
    } finally {
        dir.toFile().deleteRecursively()
    }
}
