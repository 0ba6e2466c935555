package io.jcluster.agent;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests that reached a stopping worker and that its app has not read yet. A framework's graceful
 * shutdown finishes the requests it has read and closes every other connection unanswered (Micronaut
 * and Netty close it, Jetty answers 503), so a request the kernel holds for a connection the app
 * accepted just before it stopped taking new ones would be lost if the shutdown began first. On a
 * busy machine the app's event loop can take a second to read it.
 *
 * <p>The kernel tells: a connection the app accepted from a cluster listener has the listener's port
 * as its local port, and the bytes waiting in its receive queue are what {@code FIONREAD} counts
 * (the JDK's {@code sun.nio.ch.Net.available}). The agent waits, bounded, until each connection that
 * held unread bytes when the worker stopped taking connections has been read once, or closed.
 */
final class UnreadRequests {
    private static final long POLL_MILLIS = 10;
    /** The ports of this worker's cluster listeners. */
    private static final Set<Integer> PORTS = ConcurrentHashMap.newKeySet();

    private UnreadRequests() {
    }

    /** Remembers that the app listens on cluster port {@code port}. */
    static void listening(int port) {
        PORTS.add(port);
    }

    /**
     * Returns once the app has read every request waiting on its connections now, or after
     * {@code maxMillis}. The number of connections still unread then (0 when all were read).
     */
    static int awaitRead(long maxMillis) throws InterruptedException {
        if (PORTS.isEmpty()) return 0;
        Map<Integer, String> waiting = unread();
        long deadline = System.nanoTime() + maxMillis * 1_000_000;
        while (!waiting.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(POLL_MILLIS);
            waiting.entrySet().removeIf(connection -> !stillUnread(connection.getKey(), connection.getValue()));
        }
        return waiting.size();
    }

    /** This process's connections on a cluster port whose receive queue holds bytes: descriptor to its identity. */
    static Map<Integer, String> unread() {
        try {
            Map<Integer, String> sockets = ProcSelf.descriptors("socket:");
            sockets.keySet().removeIf(fd -> !holdsUnread(fd));
            return sockets;
        } catch (IOException | RuntimeException e) {
            return new HashMap<>(); // /proc unreadable: nothing to wait for (the shutdown goes on as it would have)
        }
    }

    /** Whether descriptor {@code fd} is still the socket {@code identity}, a connection on a cluster port, with bytes unread. */
    private static boolean stillUnread(int fd, String identity) {
        return identity.equals(ProcSelf.link(fd)) && holdsUnread(fd);
    }

    /** Whether socket {@code fd} is a connection on a cluster port with bytes unread. */
    private static boolean holdsUnread(int fd) {
        Integer port = Descriptors.localPort(fd);
        if (port == null || !PORTS.contains(port)) return false;
        Integer waiting = Descriptors.unreadBytes(fd);
        return waiting != null && waiting > 0;
    }
}
