package io.jcluster.ipc.internal

import org.newsclub.net.unix.FileDescriptorCast
import java.io.FileDescriptor
import java.io.FileInputStream
import java.io.IOException
import java.lang.invoke.MethodHandle
import java.lang.invoke.MethodHandles

/** Closing and taking ownership of raw file descriptors. */
internal object FileDescriptors {
    /**
     * junixsocket's native `dup`, called without `FileDescriptorCast`, which asks the kernel what the
     * copy is (two system calls more for each descriptor handed over); null where it cannot be reached.
     */
    private val nativeDuplicate: MethodHandle? = runCatching {
        FileDescriptorCast::class.java.name // loads junixsocket's native library first
        val method = Class.forName("org.newsclub.net.unix.NativeUnixSocket")
            .getDeclaredMethod("duplicate", FileDescriptor::class.java, FileDescriptor::class.java)
        method.isAccessible = true
        MethodHandles.lookup().unreflect(method)
    }.getOrNull()

    /** Closes [fd] if it is still open. */
    fun close(fd: FileDescriptor) {
        // FileInputStream.close() runs the descriptor's attached cleanups too (junixsocket attaches one
        // to every descriptor it receives), so nothing keeps a stale reference to the closed number.
        if (fd.valid()) FileInputStream(fd).close()
    }

    /**
     * A descriptor that only we own, for one junixsocket received. junixsocket remembers what it
     * received and closes it when its socket closes, which would pull a live server socket from
     * under the application; a duplicate is ours alone, and the original is released at once.
     */
    fun takeOwnership(received: FileDescriptor): FileDescriptor =
        try {
            duplicate(received)
        } finally {
            close(received)
        }

    /** A new descriptor for what [fd] refers to (`dup`), owned by the caller. */
    fun duplicate(fd: FileDescriptor): FileDescriptor {
        val dup = nativeDuplicate ?: return FileDescriptorCast.duplicating(fd).fileDescriptor
        if (!fd.valid()) throw IOException("not a valid file descriptor")
        return dup.invoke(fd, FileDescriptor()) as FileDescriptor? ?: throw IOException("could not duplicate file descriptor")
    }
}
