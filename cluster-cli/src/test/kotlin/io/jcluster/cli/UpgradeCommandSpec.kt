package io.jcluster.cli

import io.jcluster.AdminProtocol
import io.jcluster.AdminReply
import io.jcluster.AdminRequest
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import picocli.CommandLine.ParameterException
import java.net.StandardProtocolFamily
import java.net.UnixDomainSocketAddress
import java.nio.channels.Channels
import java.nio.channels.ServerSocketChannel
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit

/**
 * `jcluster upgrade`: what it sends (the new primary's command line after `--`, or none) and what it
 * prints, against a control socket played by the spec (one request line in, one reply line out).
 */
class UpgradeCommandSpec : FunSpec({
    timeout = 30_000

    test("upgrade parses with or without a command line after --, and waits as long as a reload") {
        Command.parse(listOf("upgrade")) shouldBe Command(AdminRequest("upgrade"), null)
        Command.parse(listOf("--socket", "/s.sock", "upgrade", "--", "java", "-jar", "new.jar", "--port", "80")) shouldBe
            Command(AdminRequest("upgrade", argv = listOf("java", "-jar", "new.jar", "--port", "80")), Path.of("/s.sock"))
        Command.parse(listOf("upgrade")).timeoutMillis shouldBe 600_000L
        shouldThrow<ParameterException> { Command.parse(listOf("upgrade", "--")) }.message shouldBe "upgrade -- needs the new primary's command line after --"
        shouldThrow<ParameterException> { Command.parse(listOf("reload", "--", "java")) }.message shouldBe "only upgrade takes a command line after --"
    }

    test("upgrade prints the primary's answer and exits 0; a refusal goes to stderr with exit 1") {
        val ok = AdminReply(true, "upgraded: primary 100 handed over to 200, ready in 1500 ms; 100 exits once its workers finished their requests", upgradedTo = 200)
        answering(ok) { socket, requests ->
            val out = StringBuilder()
            Jcluster.run(listOf("--socket", "$socket", "upgrade"), { out.appendLine(it) }, { out.appendLine("ERR $it") }) shouldBe 0
            out.toString() shouldBe "${ok.message}\n"
            requests.get(5, TimeUnit.SECONDS) shouldBe AdminRequest("upgrade")
        }
        val refused = AdminReply(false, "the new primary (pid 300) exited with code 1 before it was ready")
        answering(refused) { socket, requests ->
            val err = StringBuilder()
            Jcluster.run(listOf("--socket", "$socket", "upgrade", "--", "java", "-jar", "next.jar"), {}, { err.appendLine(it) }) shouldBe 1
            err.toString() shouldBe "jcluster: ${refused.message}\n"
            requests.get(5, TimeUnit.SECONDS) shouldBe AdminRequest("upgrade", argv = listOf("java", "-jar", "next.jar"))
        }
    }
})

/** A control socket that answers one request with [reply]; [block] gets its path and the request it read. */
private fun answering(reply: AdminReply, block: (Path, CompletableFuture<AdminRequest>) -> Unit) {
    val dir = Files.createTempDirectory("jcluster-cli")
    val path = dir.resolve("fake.sock")
    val requests = CompletableFuture<AdminRequest>()
    ServerSocketChannel.open(StandardProtocolFamily.UNIX).use { server ->
        server.bind(UnixDomainSocketAddress.of(path))
        val peer = Thread {
            runCatching {
                server.accept().use { connection ->
                    val line = Channels.newInputStream(connection).bufferedReader().readLine()
                    requests.complete(AdminProtocol.json.decodeFromString(AdminRequest.serializer(), line))
                    Channels.newOutputStream(connection).apply {
                        write((AdminProtocol.json.encodeToString(AdminReply.serializer(), reply) + "\n").toByteArray())
                        flush()
                    }
                }
            }.onFailure { requests.completeExceptionally(it) }
        }.apply { isDaemon = true; start() }
        try {
            block(path, requests)
        } finally {
            server.close()
            peer.join(5_000)
            dir.toFile().deleteRecursively()
        }
    }
}
