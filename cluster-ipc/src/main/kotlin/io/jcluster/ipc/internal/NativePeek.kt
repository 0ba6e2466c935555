package io.jcluster.ipc.internal

import org.newsclub.net.unix.AFUNIXSocket
import java.io.FileDescriptor
import java.lang.reflect.InvocationTargetException
import java.lang.reflect.Method
import java.nio.ByteBuffer

/**
 * `recv(fd, buf, len, MSG_PEEK)` through junixsocket's native library, which the IPC layer loads
 * anyway: the JDK has no peek on a socket channel, and this saves a native library of our own.
 * junixsocket's `receive` is package-private and works on any socket descriptor (for a TCP one it
 * calls `recvfrom`), so it is reached by reflection once.
 */
internal object NativePeek {
    private val native by lazy { Class.forName("org.newsclub.net.unix.NativeUnixSocket") }
    private val peekFlag by lazy { native.getDeclaredField("OPT_PEEK").apply { isAccessible = true }.getInt(null) }
    private val receive: Method by lazy {
        check(AFUNIXSocket.isSupported()) { "junixsocket's native library is not available on this system" }
        native.getDeclaredMethod(
            "receive", FileDescriptor::class.java, ByteBuffer::class.java, Integer.TYPE, Integer.TYPE, ByteBuffer::class.java,
            Integer.TYPE, Class.forName("org.newsclub.net.unix.AncillaryDataSupport"), Integer.TYPE,
        ).apply { isAccessible = true }
    }
    private val sender = ThreadLocal.withInitial { ByteBuffer.allocateDirect(SENDER_BUFFER) }

    /** Peeks into [into] (a direct buffer) from its position; the count, 0 when nothing waits (non-blocking), -1 at end of stream. */
    fun peek(fd: FileDescriptor, into: ByteBuffer): Int {
        require(into.isDirect) { "peek needs a direct buffer" }
        val count = try {
            receive.invoke(null, fd, into, into.position(), into.remaining(), sender.get().clear(), peekFlag, null, 0) as Int
        } catch (e: InvocationTargetException) {
            throw e.targetException
        }
        if (count > 0) into.position(into.position() + count)
        return count
    }

    private const val SENDER_BUFFER = 256
}
