package io.jcluster.ipc.internal

import org.newsclub.net.unix.FileDescriptorCast
import java.io.FileDescriptor
import java.io.FileInputStream

/** Closing and taking ownership of raw file descriptors. */
internal object FileDescriptors {
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
    fun duplicate(fd: FileDescriptor): FileDescriptor = FileDescriptorCast.duplicating(fd).fileDescriptor
}
