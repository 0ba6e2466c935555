package io.jcluster

import io.jcluster.internal.WorkerCommands
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainAll
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.lang.management.ManagementFactory
import java.lang.management.RuntimeMXBean
import java.net.ConnectException
import java.net.Inet4Address
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.NetworkInterface
import java.net.ServerSocket
import java.net.Socket
import java.nio.file.Path
import javax.management.remote.JMXConnectorFactory
import javax.management.remote.JMXServiceURL

/**
 * Per-worker debug ports ([DebugPorts]): the flags each worker gets, and two real worker JVMs whose
 * JDWP agents answer a debugger's handshake on their own ports and whose JMX agents serve their own
 * process, on 127.0.0.1 only.
 */
class DebugPortsSpec : FunSpec({
    timeout = 120_000

    test("worker N gets JDWP on jdwpBase + N and JMX on jmxBase + N, on 127.0.0.1, after its JVM options") {
        val ports = DebugPorts(jdwpBase = 5005, jmxBase = 9010)
        val settings = testSettings("idle").copy(jvmArgs = listOf("-Xmx64m"), debugPorts = ports)
        val command = WorkerCommands({ Path.of("/nowhere/control.sock") }, null).spec(3, "token", settings, emptyMap()).command
        command shouldContainAll listOf(
            "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:5008",
            "-Dcom.sun.management.jmxremote.port=9013",
            "-Dcom.sun.management.jmxremote.rmi.port=9013",
            "-Dcom.sun.management.jmxremote.host=127.0.0.1",
            "-Dcom.sun.management.jmxremote.authenticate=false",
            "-Dcom.sun.management.jmxremote.ssl=false",
        )
        command.subList(command.indexOf("-Xmx64m") + 1, command.indexOf("-cp")) shouldBe ports.jvmFlags(3) // the user's options, then the agents
        DebugPorts(suspend = true).jvmFlags(1) shouldBe listOf("-agentlib:jdwp=transport=dt_socket,server=y,suspend=y,address=127.0.0.1:5006")
        DebugPorts(host = "::1").jvmFlags(2).single() shouldContain "address=[::1]:5007"
        DebugPorts(jdwpBase = 65_000).jdwpPort(536) shouldBe null // past 65535: no agent
        DebugPorts(jdwpBase = 65_000).jvmFlags(536) shouldBe emptyList()
        testSettings("idle").copy(debugPorts = DebugPorts(jdwpBase = null, jmxBase = 9010)).let { jmxOnly ->
            WorkerCommands({ Path.of("/nowhere") }, null).spec(1, "t", jmxOnly, emptyMap()).command.none { it.contains("jdwp") } shouldBe true
        }
    }

    test("misuse is refused with the fix") {
        shouldThrow<IllegalArgumentException> { DebugPorts(jdwpBase = null) }.message shouldContain "set at least one"
        shouldThrow<IllegalArgumentException> { DebugPorts(jdwpBase = 0) }
        shouldThrow<IllegalArgumentException> { DebugPorts(jdwpBase = 9000, jmxBase = 9000) }
        shouldThrow<IllegalArgumentException> { DebugPorts(jdwpBase = null, jmxBase = 9000, suspend = true) }
        shouldThrow<IllegalArgumentException> {
            testSettings("idle").copy(jvmArgs = listOf("-agentlib:jdwp=transport=dt_socket,server=y"), debugPorts = DebugPorts())
        }.message shouldContain "remove it from jvmArgs"
    }

    test("two workers: each JDWP port answers the handshake, each JMX port serves its own worker; loopback only") {
        val jdwpBase = freePortsAfter(count = 2)
        val jmxBase = freePortsAfter(count = 2, avoid = jdwpBase..jdwpBase + 2)
        withCluster(testSettings("echo").copy(debugPorts = DebugPorts(jdwpBase = jdwpBase, jmxBase = jmxBase))) { primary, log ->
            val workers = List(2) { primary.fork() }
            workers.forEach { log.await<WorkerEvent.Online>(it) } // both agents start before main
            workers.map { it.id } shouldBe listOf(1, 2) // so their ports are base + 1 and base + 2, each checked free above
            for (worker in workers) {
                jdwpHandshake(jdwpBase + worker.id) shouldBe "JDWP-Handshake"
                jmxPid(jmxBase + worker.id) shouldBe worker.pid
            }
            val other = nonLoopbackAddress()
            if (other != null) for (port in listOf(jdwpBase + 1, jmxBase + 1)) {
                shouldThrow<ConnectException> { Socket().use { it.connect(InetSocketAddress(other, port), 5_000) } }
            }
        }
    }
})

/** A base port whose next [count] ports are free on 127.0.0.1 now (outside [avoid]). */
private fun freePortsAfter(count: Int, avoid: IntRange = IntRange.EMPTY): Int {
    val loopback = InetAddress.getLoopbackAddress()
    repeat(100) {
        val base = ServerSocket(0, 1, loopback).use { it.localPort }
        val ports = base + 1..base + count
        if (ports.last <= 65_535 && ports.none { it in avoid || it - count in avoid } &&
            ports.all { port -> runCatching { ServerSocket(port, 1, loopback).close() }.isSuccess }
        ) return base
    }
    error("no $count free consecutive ports on 127.0.0.1")
}

/** A debugger's first exchange: it sends `JDWP-Handshake`, and the agent sends it back. */
private fun jdwpHandshake(port: Int): String = Socket().use { socket ->
    socket.connect(InetSocketAddress("127.0.0.1", port), 5_000)
    socket.soTimeout = 10_000
    socket.getOutputStream().write("JDWP-Handshake".toByteArray())
    String(socket.getInputStream().readNBytes(14))
}

/** The pid of the JVM whose JMX agent listens on [port], asked over JMX. */
private fun jmxPid(port: Int): Long =
    JMXConnectorFactory.connect(JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:$port/jmxrmi")).use { connector ->
        ManagementFactory.newPlatformMXBeanProxy(connector.mBeanServerConnection, ManagementFactory.RUNTIME_MXBEAN_NAME, RuntimeMXBean::class.java).pid
    }

/** One of this machine's IPv4 addresses that is not a loopback one, if it has any. */
private fun nonLoopbackAddress(): InetAddress? = NetworkInterface.networkInterfaces().toList()
    .filter { it.isUp && !it.isLoopback }
    .flatMap { it.inetAddresses.toList() }
    .firstOrNull { it is Inet4Address }
