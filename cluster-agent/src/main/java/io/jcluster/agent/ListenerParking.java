package io.jcluster.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Takes the shared listening socket away from the app when its worker stops, before the app's own
 * shutdown starts. A stopping app keeps calling {@code accept} on the shared socket until its
 * framework closes the listener, and every connection it takes in that time meets a server that is
 * shutting down: Tomcat resets it, Jetty answers 503, Netty closes it unanswered. The other workers
 * share the same accept queue, so the stopping one must simply stop taking from it.
 *
 * <p>It cannot close or shut down the shared socket (that would stop every worker), so it
 * {@code dup2}s a parked socket onto each descriptor number the app holds: a listener of its own on
 * a loopback port that nobody connects to. The app's next {@code accept} on that number finds
 * nothing; a thread already waiting in {@code poll} on the shared socket wakes on the next
 * connection, tries the number, finds nothing, and waits again; the connection stays queued for the
 * other workers. The app's {@code epoll} registrations move to the parked socket ({@link #park}). The
 * app later closes the parked socket as its own.
 */
final class ListenerParking {
    /** The app's descriptor numbers that hold the shared socket, with the socket's identity (its /proc link). */
    private static final Map<Integer, String> SHARED = new ConcurrentHashMap<>();

    private ListenerParking() {
    }

    /** Remembers that the app's descriptor {@code fd} now is a shared listener. */
    static void shared(int fd) {
        String identity = ProcSelf.link(fd);
        if (identity != null) SHARED.put(fd, identity);
    }

    /**
     * Parks every shared listener the app still holds; each one that cannot be parked is said in one
     * line on stderr (the worker then stops as before: the app's shutdown closes it).
     */
    static void parkAll() {
        SHARED.forEach((fd, identity) -> {
            // The app may have closed that listener, and the number may now be another file's.
            if (!identity.equals(ProcSelf.link(fd))) return;
            try {
                park(fd);
            } catch (IOException | RuntimeException e) {
                System.err.println("jcluster agent: could not stop accepting on descriptor " + fd + " before the app's shutdown: " + e);
            }
        });
        SHARED.clear();
    }

    /**
     * The app's selectors move to the parked socket with it. An epoll registration belongs to the
     * socket it was made for, and the shared one stays open in the other workers: left there, it would
     * report the app's listener ready for every connection queued for the others (level-triggered, as
     * the JDK's selector is), and the app's event loop would spin on an accept that finds nothing
     * until its shutdown closes the selector.
     */
    private static void park(int fd) throws IOException {
        List<EpollRegistrations.Registration> moved = EpollRegistrations.remove(fd, EpollRegistrations.of(fd));
        ListenerBinder.putOwnListener(fd, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1, false);
        try {
            EpollRegistrations.restore(fd, moved);
        } catch (IOException e) {
            // The selector then watches nothing there, which is what the parked socket gives it anyway.
        }
    }
}
