package io.jcluster.ipc

import io.jcluster.ipc.internal.JdkChannels
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.Socket
import java.nio.channels.ServerSocketChannel
import java.nio.file.Files
import java.nio.file.Path

/** `Ipc.duplicate` and `Ipc.duplicateFd`: a second descriptor for the same socket, each closed by its own owner. */
class DuplicateSpec : FunSpec({
    timeout = 10_000

    fun listener() = ServerSocketChannel.open().bind(InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
    fun target(fd: Int): Path = Files.readSymbolicLink(Path.of("/proc/self/fd/$fd"))

    test("a duplicated listener accepts on the same socket, and still does once the original is closed") {
        val original = listener()
        val port = (original.localAddress as InetSocketAddress).port
        Ipc.duplicate(original).use { copy ->
            copy.localAddress shouldBe original.localAddress
            original.close()
            Socket(InetAddress.getLoopbackAddress(), port).use {
                copy.accept().use { accepted -> accepted.remoteAddress shouldNotBe null }
            }
        }
    }

    test("duplicateFd gives a new descriptor number for the same socket, which the caller closes") {
        listener().use { original ->
            val originalFd = JdkChannels.numberOf(JdkChannels.fdOf(original))
            val copy = Ipc.duplicateFd(original)
            copy shouldNotBe originalFd
            target(copy) shouldBe target(originalFd)
            JdkChannels.adoptServer(descriptorOf(copy), JdkChannels.familyOf(original)).close()
            Files.exists(Path.of("/proc/self/fd/$copy")) shouldBe false
            original.isOpen shouldBe true
        }
    }
})

/** A `FileDescriptor` for the bare number [fd] (test only: production code never needs this direction). */
private fun descriptorOf(fd: Int): java.io.FileDescriptor =
    Class.forName("sun.nio.ch.IOUtil").getMethod("newFD", Int::class.javaPrimitiveType).invoke(null, fd) as java.io.FileDescriptor
