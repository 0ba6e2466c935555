package io.jcluster.ipc

import java.net.StandardProtocolFamily
import java.nio.channels.Pipe
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel

/**
 * Initialises the JDK's I/O classes that need a descriptor of their own to initialise, while there
 * are descriptors. Out of descriptors, such a class fails its initialisation once and is broken for
 * the life of the JVM: `sun.nio.ch.FileDispatcherImpl` opens a socket pair in its static
 * initialiser, and every `SocketChannel.close()` goes through it, so a primary whose first close
 * came during a shortage could close no connection again, nor shut down. [AcceptBackoff] runs it,
 * so every accept loop has it done before its first accept.
 */
public object IoWarmUp {
    private val done: Unit by lazy {
        SocketChannel.open().close()
        SocketChannel.open(StandardProtocolFamily.UNIX).close()
        ServerSocketChannel.open().close()
        val pipe = Pipe.open()
        pipe.source().close()
        pipe.sink().close()
    }

    /** Does the warm-up once per JVM; later calls return at once. */
    @JvmStatic
    public fun ensure(): Unit = done
}
