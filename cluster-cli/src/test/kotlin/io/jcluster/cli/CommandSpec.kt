package io.jcluster.cli

import io.jcluster.AdminRequest
import io.jcluster.ClusterStats
import io.jcluster.ExitReason
import io.jcluster.OutputLine
import io.jcluster.PrimaryState
import io.jcluster.WorkerStats
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldEndWith
import io.kotest.matchers.string.shouldStartWith
import picocli.CommandLine.ParameterException
import java.net.StandardProtocolFamily
import java.net.UnixDomainSocketAddress
import java.nio.channels.ServerSocketChannel
import java.nio.file.Files
import java.nio.file.Path

/** The command line and the status table, without a cluster: each command, each misuse, each column. */
class CommandSpec : FunSpec({
    test("each command parses to its request, --socket anywhere") {
        Command.parse(listOf("status")) shouldBe Command(AdminRequest("status"), null)
        Command.parse(listOf("--socket", "/s.sock", "scale", "4")) shouldBe Command(AdminRequest("scale", workers = 4), Path.of("/s.sock"))
        Command.parse(listOf("kill", "7", "--socket=/s.sock")) shouldBe Command(AdminRequest("kill", id = 7), Path.of("/s.sock"))
        Command.parse(listOf("status", "--socket", "/s.sock")) shouldBe Command(AdminRequest("status"), Path.of("/s.sock"))
        Command.parse(listOf("reload")).timeoutMillis shouldBe 600_000L
    }

    test("misuse is refused with what is wrong, and exits 2 with one line") {
        shouldThrow<ParameterException> { Command.parse(listOf("scale")) }.message shouldBe "Missing required parameter: 'N'"
        shouldThrow<ParameterException> { Command.parse(listOf("status", "now")) }.message shouldBe "Unmatched argument at index 1: 'now'"
        shouldThrow<ParameterException> { Command.parse(emptyList()) }.message shouldBe "no command"
        val err = ArrayList<String>()
        Jcluster.run(listOf("frobnicate"), {}, { err += it }) shouldBe 2
        err.single() shouldStartWith "jcluster: unknown command \"frobnicate\""
        err.single() shouldEndWith "(see jcluster --help)"
    }

    test("logs and top parse their options; misuse says what they take") {
        Command.parse(listOf("logs")) shouldBe Command(AdminRequest("logs"), null)
        Command.parse(listOf("logs", "-f", "--lines", "20", "3")) shouldBe Command(AdminRequest("logs", id = 3, lines = 20, follow = true), null)
        Command.parse(listOf("logs", "--lines=5", "--socket", "/s.sock")) shouldBe Command(AdminRequest("logs", lines = 5), Path.of("/s.sock"))
        Command.parse(listOf("top")) shouldBe Command(AdminRequest("stats"), null, name = "top")
        Command.parse(listOf("top", "--once")) shouldBe Command(AdminRequest("stats"), null, name = "top", once = true)
        shouldThrow<ParameterException> { Command.parse(listOf("logs", "--lines")) }.message shouldBe "Missing required parameter for option '--lines' (N)"
        shouldThrow<ParameterException> { Command.parse(listOf("logs", "--lines", "-1")) }.message shouldBe "--lines needs a number of lines, 0 or more, not -1"
        shouldThrow<ParameterException> { Command.parse(listOf("logs", "1", "2")) }.message shouldBe "Unmatched argument at index 2: '2'"
        shouldThrow<ParameterException> { Command.parse(listOf("top", "-x")) }.message shouldBe "Unknown option: '-x'"
        LogsView.format(OutputLine(2, "boom", stderr = true)) shouldBe "[worker 2 err] boom"
    }

    test("two live clusters: one line that lists both sockets and names --socket") {
        val dir = Files.createTempDirectory("jcluster-cli")
        val servers = listOf("a.sock", "b.sock").map { name ->
            ServerSocketChannel.open(StandardProtocolFamily.UNIX).apply { bind(UnixDomainSocketAddress.of(dir.resolve(name))) }
        }
        try {
            val message = shouldThrow<UnreachableException> { ControlClient.find(listOf(dir)) }.message!!
            message.lines().size shouldBe 1
            message shouldContain "2 clusters are running"
            message shouldContain "${dir.resolve("a.sock")}"
            message shouldContain "${dir.resolve("b.sock")}"
            message shouldContain "--socket PATH"
        } finally {
            servers.forEach { it.close() }
            dir.toFile().deleteRecursively()
        }
    }

    test("top's table: CPU since the previous reading, requests per second since the baseline") {
        val worker = WorkerStats(4, 0, 2001, "listening", true, true, 61_000, 3 * 1024 * 1024, 80 * 1024 * 1024, 100, 3, 2)
        val stats = ClusterStats(100, PrimaryState.ACTIVE, 125_000, 1, 2, emptyMap(), 0, 100, listOf(worker))
        val baseline = TopSample(stats, 0, mapOf(2001L to 0L))
        val previous = TopSample(stats.copy(requests = 150, workers = listOf(worker.copy(requests = 150))), 8_000_000_000, mapOf(2001L to 1_000_000_000L))
        val now = TopSample(stats.copy(requests = 300, workers = listOf(worker.copy(requests = 300))), 10_000_000_000, mapOf(2001L to 1_500_000_000L))
        TopTable.render(now, previous, baseline) shouldBe """
            primary 100: active, up 2m 5s, 1/1 workers ready, 2 restarts, 300 requests, 20.0 req/s
            id  slot  pid   state      cpu    heap     rss       req/s  restarts
            4   0     2001  listening  25.0%  3.0 MiB  80.0 MiB  20.0   2
        """.trimIndent()
        TopTable.render(now, null).lines().last() shouldBe "4   0     2001  listening  -    3.0 MiB  80.0 MiB  -      2"
    }

    test("no live socket in the well-known directories: exit 3, saying where it looked") {
        val dir = Files.createTempDirectory("jcluster-cli")
        try {
            Files.createFile(dir.resolve("stale.sock")) // a file nobody listens on is skipped
            shouldThrow<UnreachableException> { ControlClient.find(listOf(dir)) }.message shouldContain "no running cluster with a control socket in $dir"
        } finally {
            dir.toFile().deleteRecursively()
        }
    }

    test("status prints a summary and one aligned row per worker, like pm2 list") {
        val stats = ClusterStats(
            pid = 100, state = PrimaryState.ACTIVE, uptimeMillis = 125_000, wanted = 2, restarts = 3,
            restartReasons = mapOf(ExitReason.RELOAD to 2, ExitReason.CRASH to 1), messages = 9, requests = 1234,
            workers = listOf(
                WorkerStats(4, 0, 2001, "listening", true, true, 61_000, 3 * 1024 * 1024, 80 * 1024 * 1024, 1200, 3, 2),
                WorkerStats(7, 1, 2002, "forked", false, false, 500, null, 40 * 1024 * 1024, null, null, 1),
            ),
        )
        StatusTable.render(stats) shouldBe """
            primary 100: active, up 2m 5s, 1/2 workers ready, 3 restarts (reload 2, crash 1), 1234 requests, 9 messages
            id  slot  pid   state             uptime  restarts  heap     rss       requests  conns
            4   0     2001  listening         1m 1s   2         3.0 MiB  80.0 MiB  1200      3
            7   1     2002  forked (booting)  0s      1         -        40.0 MiB  -         -
        """.trimIndent()
        StatusTable.render(stats.copy(standbys = listOf(3001))).lines().first() shouldBe
            "primary 100: active, up 2m 5s, 1/2 workers ready, 3 restarts (reload 2, crash 1), 1234 requests, 9 messages, 1 standby (pid 3001)"
    }
})
