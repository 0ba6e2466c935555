package io.jcluster.agent;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The agent in a worker: the same conversation with the primary as cluster-core's Kotlin worker
 * runtime, so the primary admits it with no second path. It says hello with the id and token the
 * primary put in its environment, answers the heartbeat, waits for its promotion if it is a warm
 * standby, and on the primary's {@code disconnect} exits the way {@code TERM} would: the app's own
 * shutdown hooks (its framework's graceful shutdown) run. If the primary goes away, so does the worker.
 */
final class WorkerAgent {
    /** The exit code of a worker whose primary went away (cluster-core's {@code EXIT_PRIMARY_GONE}). */
    static final int EXIT_PRIMARY_GONE = 70;
    /** The exit code of a worker that no restart can fix (cluster-core's {@code Supervision.CANNOT_BOOT}). */
    static final int CANNOT_BOOT = 78;
    private static final long HALT_AFTER_MILLIS = 500;
    private static final long SETTLE_MILLIS = 250;
    private static final long UNREAD_WAIT_MILLIS = 3_000;
    // A latch and two fields, not a CompletableFuture: this class loads in premain, and that one's
    // initialisation brings the ForkJoinPool up before the app's main.
    private static final CountDownLatch JOINED = new CountDownLatch(1);
    private static volatile WorkerAgent joinedAgent;
    private static volatile Throwable joinFailure;
    private static volatile boolean worker;

    final int id;
    final ControlChannel channel;
    private final CountDownLatch promoted;
    private volatile boolean disconnecting;

    private WorkerAgent(int id, ControlChannel channel, boolean standby) {
        this.id = id;
        this.channel = channel;
        this.promoted = new CountDownLatch(standby ? 1 : 0);
    }

    /** True in a worker, once {@link #joinInBackground} began. */
    static boolean isWorker() {
        return worker;
    }

    /** The worker agent of this JVM, once it joined its primary: a bind waits for it. */
    static WorkerAgent joined() throws java.io.IOException {
        try {
            JOINED.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while joining the jcluster primary");
        }
        Throwable failure = joinFailure;
        if (failure != null) throw new java.io.IOException("this worker could not join its jcluster primary: " + failure, failure);
        return joinedAgent;
    }

    /**
     * Joins the primary on a thread of its own, so that the app's {@code main} starts meanwhile: loading
     * junixsocket and the hello's round trip overlap the app's own start instead of adding to it.
     */
    static void joinInBackground(Map<String, String> env, boolean timing) {
        worker = true;
        Thread join = new Thread(new Runnable() { // not a lambda: premain would spin the JDK's up
            @Override
            public void run() {
                join(env, timing);
            }
        }, "jcluster-agent-join");
        join.setDaemon(true);
        join.start();
    }

    private static void join(Map<String, String> env, boolean timing) {
        long start = System.nanoTime();
        try {
            joinedAgent = start(env);
            JOINED.countDown();
            if (timing) System.err.println("jcluster agent: joined in " + (System.nanoTime() - start) / 1_000_000 + " ms");
        } catch (Exception | LinkageError e) {
            joinFailure = e;
            JOINED.countDown();
            System.err.println("jcluster agent: this worker cannot join its cluster: " + e);
            exit(EXIT_PRIMARY_GONE);
        }
    }

    /** Connects to the primary named by {@code env} and says hello; the reader thread then runs on its own. */
    private static WorkerAgent start(Map<String, String> env) throws IOException {
        int id = Integer.parseInt(env.get("JCLUSTER_WORKER_ID").trim());
        String socket = env.get("JCLUSTER_CONTROL_SOCKET");
        if (socket == null) throw new IOException("JCLUSTER_WORKER_ID is set but JCLUSTER_CONTROL_SOCKET is not: was this JVM started by a jcluster primary?");
        WorkerAgent agent = new WorkerAgent(id, ControlChannel.connect(Path.of(socket)), "1".equals(env.get("JCLUSTER_STANDBY")));
        agent.channel.send(Json.object("type", "hello", "workerId", id, "token", env.getOrDefault("JCLUSTER_TOKEN", "")));
        Thread reader = new Thread(agent::read, "jcluster-agent-channel");
        reader.setDaemon(true); // the app's own threads decide how long it lives, as without the agent
        reader.start();
        return agent;
    }

    /** Returns once this worker may show itself to the cluster: at once, unless it is an unpromoted standby. */
    void awaitPromotion() throws java.io.InterruptedIOException {
        try {
            promoted.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting, as a warm standby, for a slot");
        }
    }

    private void read() {
        String why = "the primary closed the channel";
        try {
            channel.readUntilClosed(this::onControl);
        } catch (IOException | RuntimeException e) {
            why = e.toString();
        }
        if (!disconnecting) {
            System.err.println("jcluster agent: worker " + id + ": " + why + "; exiting");
            exit(EXIT_PRIMARY_GONE);
        }
    }

    private void onControl(ControlChannel.Frame frame) {
        Descriptors.closeAll(frame.fds());
        Map<String, Object> message = frame.message();
        Object type = message.get("type");
        if ("ping".equals(type)) pong(((Number) message.get("seq")).longValue());
        else if ("disconnect".equals(type)) disconnect();
        else if ("promote".equals(type)) promoted.countDown();
        else refuse(frame, String.valueOf(type));
    }

    private void refuse(ControlChannel.Frame frame, String type) {
        System.err.println("jcluster agent: worker " + id + ": the primary sent '" + type + "', which an agent worker does not take; ignored");
        if ((frame.flags() & ControlChannel.FLAG_CALL) == 0) return;
        try {
            channel.replyError(frame.correlation(), "worker " + id + " (an agent) does not take " + type);
        } catch (IOException ignored) {
            // The channel is going down: the reader sees it next.
        }
    }

    /**
     * The heartbeat's answer, from this thread: the agent's liveness is the JVM's, not the app's. The
     * agent cannot see HTTP, so its "requests" are the connections the app accepted (one per request
     * under {@code Connection: close}, fewer with keep-alive).
     */
    private void pong(long seq) {
        try {
            channel.send(Json.object("type", "pong", "seq", seq, "liveHeap", liveHeap(), "requests", ListenerBinder.acceptedCount(), "openConnections", 0));
        } catch (IOException ignored) {
            // The channel is going down: the reader sees it next.
        }
    }

    /**
     * As {@code TERM} would: {@code System.exit(0)} from a thread of its own runs the app's shutdown
     * hooks. The app stops taking connections from the shared sockets first ({@link ListenerParking}),
     * then has {@link #SETTLE_MILLIS} for the ones it accepted just before to bring their requests in,
     * and up to {@link #UNREAD_WAIT_MILLIS} more to read the requests that came ({@link UnreadRequests}):
     * a server whose shutdown began closes a connection whose request it had not yet read, or answers
     * it with 503 (Jetty's context does), though the connection was accepted while it served.
     */
    private void disconnect() {
        disconnecting = true;
        ListenerParking.parkAll();
        Thread exit = new Thread(() -> {
            try {
                Thread.sleep(SETTLE_MILLIS);
                int unread = UnreadRequests.awaitRead(UNREAD_WAIT_MILLIS);
                if (unread > 0) {
                    System.err.println("jcluster agent: worker " + id + " stops with " + unread + " connection(s) whose request the app has not read in "
                        + UNREAD_WAIT_MILLIS + " ms; its shutdown may close them unanswered");
                }
            } catch (InterruptedException ignored) {
                // Exit now.
            }
            System.exit(0);
        }, "jcluster-agent-disconnect");
        exit.start();
    }

    /**
     * Prints {@code line} and exits with cluster-core's {@code CANNOT_BOOT} (78): the primary fails the
     * cluster with that line instead of respawning a worker that would fail the same way.
     */
    static void cannotBoot(String line) {
        System.err.println(line);
        System.err.flush();
        exit(CANNOT_BOOT);
    }

    static void exit(int code) {
        Thread halt = new Thread(() -> {
            try {
                Thread.sleep(HALT_AFTER_MILLIS);
            } catch (InterruptedException ignored) {
                // Halt now.
            }
            Runtime.getRuntime().halt(code);
        }, "jcluster-agent-halt");
        halt.setDaemon(true);
        halt.start(); // a shutdown hook that hangs must not keep an orphan alive
        System.exit(code);
    }

    private static long liveHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() != MemoryType.HEAP) continue;
            MemoryUsage usage = pool.getCollectionUsage() != null ? pool.getCollectionUsage() : pool.getUsage();
            if (usage != null) sum += usage.getUsed();
        }
        return sum;
    }
}
