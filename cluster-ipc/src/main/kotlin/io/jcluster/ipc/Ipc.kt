package io.jcluster.ipc

import org.newsclub.net.unix.AFUNIXSocketAddress
import org.newsclub.net.unix.AFUNIXSocketChannel
import java.nio.file.Path

/** Entry points of the IPC layer. */
public object Ipc {
    /**
     * The options every JVM at either end of a connection needs: received sockets become JDK channels
     * (`sun.nio.ch` opened), and junixsocket's native code runs without warnings on JDK 22+.
     */
    @JvmStatic
    public val jvmFlags: List<String> = listOf("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED")

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
