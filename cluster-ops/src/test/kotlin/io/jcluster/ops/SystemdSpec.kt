package io.jcluster.ops

import io.jcluster.Signal
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import java.net.DatagramPacket
import java.nio.file.Files
import java.nio.file.Path
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.newsclub.net.unix.AFUNIXDatagramSocket
import org.newsclub.net.unix.AFUNIXSocketAddress

/**
 * `sd_notify` from a real primary ([OpsTestPrimary], started with `NOTIFY_SOCKET`): the spec plays
 * systemd with a Unix datagram socket of its own, on a path and in the abstract namespace.
 */
class SystemdSpec : FunSpec({
    timeout = 120_000

    test("NOTIFY_SOCKET (a path) hears READY=1 once every worker is ready, RELOADING=1/READY=1 around a HUP, STOPPING=1 on TERM") {
        val dir = Files.createTempDirectory("jcluster-systemd")
        val path = dir.resolve("notify.sock")
        try {
            AFUNIXDatagramSocket.newInstance().use { systemd ->
                systemd.bind(AFUNIXSocketAddress.of(path))
                OpsProcess.start(mapOf("NOTIFY_SOCKET" to path.toString())).use { primary ->
                    systemd.next() shouldContain "MAINPID=${primary.pid}"
                    val ready = systemd.nextWith("READY=1")
                    ready shouldContain "STATUS=2 of 2 workers ready"
                    primary.awaitListening()
                    primary.liveWorkers().keys shouldHaveSize 2
                    // systemd talks to the primary alone: with NotifyAccess=all a worker's notification would count.
                    primary.liveWorkers().values.forEach { pid ->
                        val environment = Files.readString(Path.of("/proc/$pid/environ")).split('\u0000')
                        environment.none { it.startsWith("NOTIFY_SOCKET=") } shouldBe true
                    }

                    primary.signal(Signal.HUP)
                    systemd.nextWith("RELOADING=1").any { it.startsWith("MONOTONIC_USEC=") } shouldBe true
                    systemd.nextWith("READY=1")
                    primary.await("P Restarted null")

                    primary.signal(Signal.TERM)
                    systemd.nextWith("STOPPING=1")
                    primary.awaitExit() shouldBe 0
                }
            }
        } finally {
            dir.toFile().deleteRecursively()
        }
    }

    test("an upgrade: the old primary names the new main pid, the new one says READY=1, and nobody says STOPPING=1") {
        val dir = Files.createTempDirectory("jcluster-systemd")
        val path = dir.resolve("notify.sock")
        try {
            AFUNIXDatagramSocket.newInstance().use { systemd ->
                systemd.bind(AFUNIXSocketAddress.of(path))
                OpsProcess.start(mapOf("NOTIFY_SOCKET" to path.toString(), "OPS_SIGNALS" to "usr2-upgrades")).use { primary ->
                    systemd.nextWith("READY=1")
                    primary.awaitListening()
                    primary.signal(Signal.USR2)
                    val handedOver = systemd.nextWith("STATUS=handed over to the new primary, pid ", prefix = true)
                    val successor = handedOver.first { it.startsWith("MAINPID=") }.removePrefix("MAINPID=").toLong()
                    successor shouldNotBe primary.pid
                    val tookOver = systemd.nextWith("READY=1")
                    tookOver shouldContain "MAINPID=$successor"
                    primary.awaitExit() shouldBe 0
                    systemd.drain().none { "STOPPING=1" in it } shouldBe true // the service goes on in the new primary
                    ProcessHandle.of(successor).orElseThrow().destroy()
                    systemd.nextWith("STOPPING=1")
                }
            }
        } finally {
            dir.toFile().deleteRecursively()
        }
    }

    test("NOTIFY_SOCKET=@name (the abstract namespace) hears READY=1, and WATCHDOG=1 every half WATCHDOG_USEC") {
        val name = "jcluster-systemd-spec-${ProcessHandle.current().pid()}"
        AFUNIXDatagramSocket.newInstance().use { systemd ->
            systemd.bind(AFUNIXSocketAddress.inAbstractNamespace(name))
            val environment = mapOf("NOTIFY_SOCKET" to "@$name", "OPS_WORKERS" to "1", "WATCHDOG_USEC" to "400000")
            OpsProcess.start(environment).use { primary ->
                systemd.nextWith("READY=1") shouldContain "STATUS=1 of 1 workers ready"
                primary.awaitListening(1)
                repeat(3) { systemd.nextWith("WATCHDOG=1") }
            }
        }
    }
})

/** The next datagram's lines; fails if none comes within [millis] (60 s). */
private suspend fun AFUNIXDatagramSocket.next(millis: Int = 60_000): List<String> = withContext(Dispatchers.IO) {
    soTimeout = millis
    val packet = DatagramPacket(ByteArray(4096), 4096)
    receive(packet)
    String(packet.data, 0, packet.length).split('\n')
}

/** Skips datagrams until one has [line] (with [prefix], a line starting with it); returns its lines. */
private suspend fun AFUNIXDatagramSocket.nextWith(line: String, prefix: Boolean = false): List<String> {
    while (true) next().let { lines -> if (lines.any { it == line || (prefix && it.startsWith(line)) }) return lines }
}

/** The datagrams that come until none has for a second. */
private suspend fun AFUNIXDatagramSocket.drain(): List<String> = buildList {
    while (true) addAll(runCatching { next(1_000) }.getOrElse { return@buildList })
}
