package io.jcluster.ipc

import org.newsclub.net.unix.AFUNIXSocketAddress
import org.newsclub.net.unix.AFUNIXSocketChannel
import java.nio.file.Path

/** Entry points of the IPC layer. */
public object Ipc {
    /**
     * Connects to the [IpcServer] at [path]. Throws `java.net.SocketException` (with the path) if no
     * server listens there.
     */
    @JvmStatic
    @JvmOverloads
    public fun connect(path: Path, options: IpcOptions = IpcOptions()): IpcConnection {
        val socket = AFUNIXSocketChannel.open()
        try {
            socket.connect(AFUNIXSocketAddress.of(path))
        } catch (e: java.net.SocketException) {
            socket.close()
            throw java.net.SocketException("cannot connect to the IPC socket $path: ${e.message}").apply { initCause(e) }
        }
        return IpcConnection(socket, options).start()
    }
}
