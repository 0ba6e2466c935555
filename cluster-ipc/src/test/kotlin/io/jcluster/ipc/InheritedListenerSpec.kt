package io.jcluster.ipc

import io.jcluster.ipc.internal.JdkChannels
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import java.io.IOException
import java.net.InetSocketAddress
import java.net.ProtocolFamily
import java.net.SocketAddress
import java.net.StandardProtocolFamily
import java.net.UnixDomainSocketAddress
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.nio.file.Files

/**
 * `Ipc.adoptInheritedListener`: a listening socket known only by its descriptor number (as systemd
 * passes them) becomes a JDK channel of the socket's own family, on the same address, that accepts.
 * The number here is a duplicate of a listener this JVM bound, which is what an inherited one is too.
 */
class InheritedListenerSpec : FunSpec({
    timeout = 10_000

    fun adopts(family: ProtocolFamily, address: SocketAddress) {
        ServerSocketChannel.open(family).bind(address).use { original ->
            Ipc.adoptInheritedListener(Ipc.duplicateFd(original)).use { adopted ->
                // A JDK channel is UNIX or IP (INET6 where the JVM has IPv6, whatever the socket's own IP version).
                (JdkChannels.familyOf(adopted) == StandardProtocolFamily.UNIX) shouldBe (family == StandardProtocolFamily.UNIX)
                adopted.localAddress shouldBe original.localAddress
                original.close() // the adopted descriptor alone keeps the socket listening
                SocketChannel.open(adopted.localAddress).use { adopted.accept().use { accepted -> accepted shouldNotBe null } }
            }
        }
    }

    test("TCP over IPv4") { adopts(StandardProtocolFamily.INET, InetSocketAddress("127.0.0.1", 0)) }

    test("TCP over IPv6").config(enabled = runCatching { ServerSocketChannel.open().bind(InetSocketAddress("::1", 0)).close() }.isSuccess) {
        adopts(StandardProtocolFamily.INET6, InetSocketAddress("::1", 0))
    }

    test("a Unix-domain socket, whose path is no IP address") {
        val dir = Files.createTempDirectory("jcluster-inherit")
        try {
            adopts(StandardProtocolFamily.UNIX, UnixDomainSocketAddress.of(dir.resolve("listening.sock")))
        } finally {
            dir.toFile().deleteRecursively()
        }
    }

    test("a descriptor that is no socket is refused with an IOException") {
        val file = Files.createTempFile("jcluster-inherit", ".txt")
        try {
            java.io.FileInputStream(file.toFile()).use { stream ->
                shouldThrow<IOException> { Ipc.adoptInheritedListener(JdkChannels.numberOf(stream.fd)) }
            }
        } finally {
            Files.delete(file)
        }
    }
})
