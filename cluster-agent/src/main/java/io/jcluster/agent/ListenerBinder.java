package io.jcluster.agent;

import java.io.FileDescriptor;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where the app's bind calls land in a worker ({@link BindHook}'s code calls these by reflection,
 * through JDK types only, since it runs inside {@code java.base} and Netty). Each returns null for a
 * bind it leaves alone, TRUE for one it did, or the exception the app's bind throws. For a
 * listener's bind, the bind is skipped and the app's descriptor becomes the cluster's listener;
 * everything else (client sockets, datagrams, Unix sockets, the agent's own binds) returns
 * {@code false}, and the real bind runs untouched.
 */
public final class ListenerBinder {
    static {
        Instrumenter.awaitOpened(); // a worker's premain opens sun.nio.ch on another thread
    }

    /** Node's default backlog, which the Kotlin workers send too: it is part of a shared listener's key. */
    private static final int BACKLOG = 511;
    private static final long LISTEN_TIMEOUT_MILLIS = 60_000;
    /** Set on a thread while the agent binds a socket of its own, which the hook must leave alone. */
    private static final ThreadLocal<Boolean> OWN_BIND = new ThreadLocal<>();
    private static final Map<String, Integer> PORT_ZERO_CALLS = new ConcurrentHashMap<>();
    private static final LongAdder ACCEPTED = new LongAdder();

    private ListenerBinder() {
    }

    /**
     * The JDK's {@code sun.nio.ch.Net.bind(ProtocolFamily, FileDescriptor, InetAddress, int)}, which
     * {@code ServerSocketChannel}, {@code ServerSocket} and {@code AsynchronousServerSocketChannel}
     * call before {@code Net.listen}. Returns true if it put the cluster's listener on {@code fd}.
     */
    public static Object bindJdk(Object[] args) {
        if (!mayTake() || !Callers.jdkListener()) return null;
        return outcome(() -> take(Descriptors.number((FileDescriptor) args[1]), (InetAddress) args[2], (Integer) args[3]));
    }

    /**
     * Netty's {@code io.netty.channel.unix.Socket.bind(SocketAddress)} ({@code args}: the socket, the
     * address), whose descriptor is the socket's {@code intValue()} (epoll).
     */
    public static Object bindNetty(Object[] args) {
        if (!(args[1] instanceof InetSocketAddress inet) || inet.isUnresolved() || !mayTake() || !Callers.nettyListener()) return null;
        return outcome(() -> {
            int fd = (Integer) args[0].getClass().getMethod("intValue").invoke(args[0]);
            List<EpollRegistrations.Registration> registrations = EpollRegistrations.of(fd); // Netty 4.1 registers before it binds
            take(fd, inet.getAddress(), inet.getPort());
            EpollRegistrations.restore(fd, registrations);
        });
    }

    /** Counts a connection the app accepted on a JDK channel ({@code ServerSocketChannelImpl.finishAccept}); returns null. */
    public static Object accepted(Object[] args) {
        ACCEPTED.increment();
        return null;
    }

    /** The connections the app accepted on JDK channels so far (Netty's epoll accepts natively, uncounted). */
    static long acceptedCount() {
        return ACCEPTED.sum();
    }

    private interface Take {
        void run() throws Exception;
    }

    /** What the hook wants: TRUE once the listener is in place, or the exception for the app to get. */
    private static Object outcome(Take take) {
        try {
            take.run();
            return Boolean.TRUE;
        } catch (java.lang.reflect.InvocationTargetException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
    }

    private static boolean mayTake() {
        return WorkerAgent.isWorker() && OWN_BIND.get() == null;
    }

    /**
     * The one line for a bind the primary may not make: no worker, nor a restart, can fix that, so
     * the cluster stops with it rather than each worker's app failing with its own stack trace.
     */
    private static String privileged(String reason, int port) {
        String where = reason.contains(": ") ? reason.substring(reason.lastIndexOf(": ") + 2) : "port " + port;
        return "jcluster: cannot listen on " + where + ": permission denied (ports below 1024 need root or"
            + " CAP_NET_BIND_SERVICE in the primary: start it as root, with jcluster run --user NAME for the workers)";
    }

    private static void take(int fd, InetAddress address, int port) throws IOException {
        WorkerAgent agent = WorkerAgent.joined();
        agent.awaitPromotion();
        Map<String, Object> wire = Json.object("host", address.isAnyLocalAddress() ? null : address.getHostAddress(), "port", port, "path", null);
        int index = port == 0 ? PORT_ZERO_CALLS.merge(String.valueOf(wire.get("host")), 1, Integer::sum) - 1 : 0;
        ControlChannel.Frame reply = agent.channel.call(
            Json.object("type", "listen", "address", wire, "backlog", BACKLOG, "strategy", null, "index", index), LISTEN_TIMEOUT_MILLIS);
        Map<String, Object> answer = reply.message();
        if ("listen-failed".equals(answer.get("type"))) {
            Descriptors.closeAll(reply.fds());
            String reason = String.valueOf(answer.get("reason"));
            if (reason.toLowerCase(java.util.Locale.ROOT).contains("denied")) WorkerAgent.cannotBoot(privileged(reason, port));
            throw new BindException(reason + " (bound by the jcluster primary for worker " + agent.id + ")");
        }
        int lease = ((Number) answer.get("lease")).intValue();
        @SuppressWarnings("unchecked") Map<String, Object> granted = (Map<String, Object>) answer.get("address");
        try {
            install(fd, String.valueOf(answer.get("strategy")), granted, reply);
        } catch (IOException | RuntimeException e) {
            agent.channel.send(Json.object("type", "unlisten", "lease", lease));
            throw e;
        }
        UnreadRequests.listening(((Number) granted.get("port")).intValue());
        agent.channel.send(Json.object("type", "listening", "address", granted, "lease", lease));
    }

    private static void install(int fd, String strategy, Map<String, Object> granted, ControlChannel.Frame reply) throws IOException {
        switch (strategy) {
            case "SHARED" -> {
                if (reply.fds().isEmpty()) throw new BindException("the jcluster primary granted a shared listener without its socket");
                try {
                    Descriptors.replace(fd, reply.fds().get(0));
                    ListenerParking.shared(fd);
                } finally {
                    Descriptors.closeAll(reply.fds());
                }
            }
            case "REUSE_PORT" -> reusePort(fd, granted);
            default -> {
                Descriptors.closeAll(reply.fds());
                throw new BindException("the jcluster strategy " + strategy + " cannot serve an unmodified app (its connections would have to be "
                    + "injected into the app's accept queue): use shared or reuse-port");
            }
        }
    }

    /** Under reuse-port every worker binds its own {@code SO_REUSEPORT} socket on the port the primary holds. */
    private static void reusePort(int fd, Map<String, Object> granted) throws IOException {
        Object host = granted.get("host");
        int port = ((Number) granted.get("port")).intValue();
        SocketAddress address = host == null ? new InetSocketAddress(port) : new InetSocketAddress((String) host, port);
        putOwnListener(fd, address, BACKLOG, true);
    }

    /**
     * Makes the app's descriptor {@code fd} a listener of the agent's own, bound on {@code address}
     * (with {@code SO_REUSEPORT} if {@code reusePort}); the hook leaves that bind alone, and closing
     * the agent's channel leaves the app's descriptor.
     */
    static void putOwnListener(int fd, SocketAddress address, int backlog, boolean reusePort) throws IOException {
        OWN_BIND.set(Boolean.TRUE);
        try (java.nio.channels.ServerSocketChannel own = java.nio.channels.ServerSocketChannel.open()) {
            if (reusePort) own.setOption(java.net.StandardSocketOptions.SO_REUSEPORT, true);
            own.bind(address, backlog);
            Descriptors.replace(fd, Descriptors.ofChannel(own));
        } finally {
            OWN_BIND.remove();
        }
    }

    /** Who called bind, told by the frames above it: a listener's bind, or a client's or a datagram's. */
    static final class Callers {
        private static final int DEPTH = 16;

        private Callers() {
        }

        static boolean jdkListener() {
            return StackWalker.getInstance().walk(frames -> frames.limit(DEPTH).map(StackWalker.StackFrame::getClassName)
                .filter(Callers::decides).findFirst().map(Callers::isJdkListener).orElse(false));
        }

        static boolean nettyListener() {
            return StackWalker.getInstance().walk(frames -> frames.limit(DEPTH)
                .anyMatch(f -> f.getClassName().endsWith(".EpollServerSocketChannel")));
        }

        private static boolean decides(String name) {
            return isJdkListener(name) || name.equals("sun.nio.ch.SocketChannelImpl") || name.equals("sun.nio.ch.DatagramChannelImpl")
                || name.equals("java.net.Socket") || name.equals("java.net.DatagramSocket");
        }

        private static boolean isJdkListener(String name) {
            return name.equals("sun.nio.ch.ServerSocketChannelImpl") || name.equals("sun.nio.ch.AsynchronousServerSocketChannelImpl")
                || name.equals("java.net.ServerSocket");
        }
    }
}
