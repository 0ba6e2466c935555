package io.jcluster.http

import io.jcluster.ClusterListener

/**
 * Runs one kind of HTTP server on a listener the cluster gives ([ClusterListener]): one singleton per
 * server ([JdkHttp], [Jetty], [Netty]), each taking the handler type natural to its server ([H]).
 *
 * On a [ClusterListener.Socket] the server accepts on the listening socket itself (through a
 * descriptor of its own, so the listener keeps its channel); on [ClusterListener.Connections]
 * (round-robin) it serves the connections the primary hands over. Either way the server behaves the
 * same, and stops as [RunningHttpServer] describes.
 */
public interface HttpAdapter<in H : Any> {
    /**
     * Starts a server with [handler] on [listener], then calls `listener.listening()`. The server
     * gives the listener back (`close()`) when it stops; do not close the listener's channel yourself.
     */
    public fun serve(listener: ClusterListener, handler: H): RunningHttpServer
}
