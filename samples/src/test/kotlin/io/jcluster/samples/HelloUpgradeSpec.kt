package io.jcluster.samples

import io.jcluster.AdminProtocol
import io.jcluster.AdminReply
import io.jcluster.AdminRequest
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.future.await
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.net.UnixDomainSocketAddress
import java.nio.channels.Channels
import java.nio.channels.SocketChannel
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * The main job's primary replaced under HTTP load, as `bin/jcluster upgrade` does it (one `upgrade`
 * line on its `--control-socket`): no request fails, the old primary exits 0, and the new one, started
 * with the same flags, serves the same port and answers on the same control socket.
 */
class HelloUpgradeSpec : FunSpec({
    timeout = 120_000

    test("upgrade under HTTP load: 0 failed, the old primary exits 0, the new one serves on with the same flags") {
        val dir = Files.createTempDirectory("jcluster-hello")
        val socket = dir.resolve("control.sock")
        val (primary, lines) = helloCluster("--workers", "2", "--standby", "1", "--port", "0", "--control-socket", "$socket")
        var successor: ProcessHandle? = null
        try {
            val port = withTimeout(40_000) { List(2) { lines.next { workerListening.find(it) } } }.map { it.groupValues[2] }.toSet().single().toInt()
            val load = HelloLoad(port)
            try {
                load.awaitServed(50)
                val reply = withContext(Dispatchers.IO) { request(socket, AdminRequest("upgrade")) }
                withClue(reply) { reply.ok shouldBe true }
                successor = ProcessHandle.of(reply.upgradedTo!!).orElseThrow()
                successor.pid() shouldNotBe primary.pid()
                withContext(Dispatchers.IO) { primary.waitFor(30, TimeUnit.SECONDS) } shouldBe true
                primary.exitValue() shouldBe 0
                load.awaitServed(load.served.get() + 50) // served by the new primary's workers alone
            } finally {
                load.stop()
            }
            load.failures.shouldBeEmpty()
            withContext(Dispatchers.IO) { request(socket, AdminRequest("status")) }.stats?.pid shouldBe successor.pid()

            successor.destroy() // TERM: the new primary stops as the old one would have
            withTimeout(30_000) { successor.onExit().await() }
        } finally {
            primary.destroyAll()
            successor?.let { it.descendants().forEach(ProcessHandle::destroyForcibly); it.destroyForcibly() }
            dir.toFile().deleteRecursively()
        }
    }
})

private val workerListening = Regex("\\(pid (\\d+)\\) listening on /127.0.0.1:(\\d+)")

private fun withClue(reply: AdminReply, check: () -> Unit) = io.kotest.assertions.withClue(reply.message ?: "no message") { check() }

/** One request on the control socket at [path], as `bin/jcluster` sends it; its reply. */
private fun request(path: Path, request: AdminRequest): AdminReply = SocketChannel.open(UnixDomainSocketAddress.of(path)).use { channel ->
    Channels.newOutputStream(channel).apply {
        write((AdminProtocol.json.encodeToString(AdminRequest.serializer(), request) + "\n").toByteArray())
        flush()
    }
    AdminProtocol.json.decodeFromString(AdminReply.serializer(), Channels.newInputStream(channel).bufferedReader().readLine())
}
