package io.jcluster.http.internal

import io.jcluster.ipc.Ipc
import io.jcluster.ipc.ListenerAcceptor
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel

/**
 * The acceptor of a server built on JDK channels (the JDK's `HttpServer`, Jetty; Netty for its last
 * accepts) on a [listening] socket, on a descriptor of its own (a `dup`): the listener keeps its
 * channel, and each closes its own. Connections go to [take], the entry the round-robin hand-offs use.
 */
internal fun httpAcceptor(listening: ServerSocketChannel, take: (SocketChannel) -> Unit): ListenerAcceptor =
    ListenerAcceptor(Ipc.duplicate(listening), "HTTP listener ${runCatching { listening.localAddress }.getOrNull()}", take)
