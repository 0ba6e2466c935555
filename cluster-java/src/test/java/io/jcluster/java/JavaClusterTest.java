package io.jcluster.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jcluster.ClusterEvent;
import io.jcluster.ClusterPlugin;
import io.jcluster.DebugPorts;
import io.jcluster.ManagedCluster;
import io.jcluster.ops.Plugins;
import io.jcluster.PrimaryEvent;
import io.jcluster.PrimaryState;
import io.jcluster.Signal;
import io.jcluster.Worker;
import io.jcluster.WorkerEvent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Java facade drives a real cluster: worker JVMs started from this test's classpath, serving
 * {@link EchoApp} through {@link EchoCluster}'s chain on a shared port of 127.0.0.1.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JavaClusterTest {
    private static final long WAIT = 60;

    /** Every worker event from before the first fork: a plugin (written in Java) subscribes in onStarting. */
    private final Recorder<ClusterEvent> workerEvents = new Recorder<>();
    private final Recorder<String> hooks = new Recorder<>();
    private JavaCluster cluster;

    private final ClusterPlugin recorder = new ClusterPlugin() {
        @Override
        public void onStarting(ManagedCluster started) {
            JavaCluster.of(started).primary().onEvent(workerEvents);
            hooks.accept("onStarting");
        }

        @Override
        public void whenReady(ManagedCluster ready) {
            hooks.accept("whenReady");
        }

        @Override
        public void onExit(ManagedCluster closed) {
            hooks.accept("onExit");
        }
    };

    private JavaCluster start(int workers) throws Exception {
        cluster = EchoCluster.builder(workers).use(recorder).start().get(WAIT, TimeUnit.SECONDS);
        return cluster;
    }

    @AfterEach
    void killEveryWorker() {
        killEveryWorker(cluster, workerEvents);
    }

    /** Destroys [cluster] (if started) and every worker [workerEvents] saw forked, whatever the test left. */
    static void killEveryWorker(JavaCluster cluster, Recorder<ClusterEvent> workerEvents) {
        if (cluster != null) cluster.destroy();
        workerEvents.all(WorkerEvent.Forked.class).forEach(forked -> {
            ProcessHandle process = forked.getWorker().getProcess();
            if (process != null) process.destroyForcibly();
        });
    }

    @Test
    void startForksTheWorkersWhichServeOnePort() throws Exception {
        start(2);
        Recorder<PrimaryEvent> events = new Recorder<>();
        cluster.onEvent(events); // the recent primary events are replayed
        events.await(PrimaryEvent.Listening.class);

        List<PrimaryEvent> lifecycle = events.all().stream().filter(e -> !(e instanceof PrimaryEvent.WorkersChanged)).toList();
        assertEquals(PrimaryEvent.Started.INSTANCE, lifecycle.get(0));
        assertTrue(lifecycle.get(1) instanceof PrimaryEvent.WorkerSpawned, lifecycle.toString());
        assertTrue(lifecycle.get(2) instanceof PrimaryEvent.WorkerSpawned, lifecycle.toString());
        assertEquals(PrimaryEvent.Listening.INSTANCE, lifecycle.get(3));
        assertEquals(new PrimaryEvent.WorkersChanged(0, 2), events.await(PrimaryEvent.WorkersChanged.class));
        assertEquals(2, cluster.workers(), "env(\"no-such-environment\") must not apply");
        assertEquals(PrimaryState.ACTIVE, cluster.state());
        hooks.await(String.class, "whenReady"::equals);
        assertEquals(List.of("onStarting", "whenReady"), hooks.all());

        int port = workerEvents.await(WorkerEvent.Listening.class).getPort();
        List<Integer> ids = cluster.primary().activeWorkers().stream().map(Worker::getId).toList();
        assertEquals(2, ids.size());
        assertTrue(ids.contains(Integer.parseInt(fetch(port))), "answered by one of " + ids);
        for (Worker worker : cluster.primary().activeWorkers()) {
            workerEvents.await(WorkerEvent.Listening.class, e -> e.getWorker() == worker && e.getPort() == port);
        }
    }

    @Test
    void messagesGoBothWays() throws Exception {
        start(1);
        JavaPrimary primary = cluster.primary();
        Recorder<WorkerEvent.Message> messages = new Recorder<>();
        primary.onMessage(messages);
        Recorder<ClusterEvent> published = new Recorder<>();
        primary.events().subscribe(published);
        Worker worker = primary.activeWorkers().get(0);

        primary.send(worker, Map.of("type", "ping", "n", 7)).get(WAIT, TimeUnit.SECONDS);
        Map<?, ?> pong = (Map<?, ?>) messages.await(WorkerEvent.Message.class, m -> isPong(m, 7)).getPayload();
        assertEquals(worker.getId(), ((Number) pong.get("worker")).intValue());
        assertEquals(7L, pong.get("n"), "a whole number comes back as a Long");
        assertEquals("hello from env(all)", pong.get("greeting"), "env(\"all\") sets the workers' environment");

        primary.send(worker, new Ping("ping", 8)).get(WAIT, TimeUnit.SECONDS); // a record travels as a map
        messages.await(WorkerEvent.Message.class, m -> isPong(m, 8));
        published.await(WorkerEvent.Message.class, m -> m.getWorker() == worker); // the Flow.Publisher sees them too
    }

    @Test
    void everythingAWorkerSendsBeforeDisconnectArrivesInOrderBeforeDisconnected() throws Exception {
        start(1);
        Worker worker = cluster.primary().activeWorkers().get(0);
        int count = 100_000;

        cluster.primary().send(worker, Map.of("type", "burst", "n", count)).get(WAIT, TimeUnit.SECONDS);
        workerEvents.await(WorkerEvent.Exited.class, e -> e.getWorker() == worker);
        List<String> seen = workerEvents.all().stream()
                .filter(e -> e instanceof WorkerEvent.Disconnected || e instanceof WorkerEvent.Message)
                .filter(e -> ((WorkerEvent) e).getWorker() == worker)
                .map(e -> e instanceof WorkerEvent.Message m ? m.getPayload().toString().replace("\"", "") : "Disconnected")
                .toList();
        int disconnected = seen.indexOf("Disconnected");
        long outOfOrder = java.util.stream.IntStream.range(1, Math.max(disconnected, 1))
                .filter(i -> Long.parseLong(seen.get(i)) < Long.parseLong(seen.get(i - 1))).count(); // each arrived after a later one
        String summary = (disconnected < 0 ? "no Disconnected" : disconnected + " before Disconnected, " + outOfOrder + " out of order, "
                + (seen.size() - disconnected - 1) + " after it") + ", of " + count + " sent";
        assertEquals(count + " before Disconnected, 0 out of order, 0 after it, of " + count + " sent", summary);
    }

    @Test
    void messagesToAWorkerArriveInTheOrderOfTheCalls() throws Exception {
        start(1);
        JavaPrimary primary = cluster.primary();
        Recorder<WorkerEvent.Message> messages = new Recorder<>();
        primary.onMessage(messages);
        Worker worker = primary.activeWorkers().get(0);
        int count = 20_000;

        for (int i = 0; i < count; i++) primary.send(worker, Integer.toString(i)); // unawaited
        primary.send(worker, "end");
        Map<?, ?> received = (Map<?, ?>) messages.await(WorkerEvent.Message.class,
                m -> m.getPayload() instanceof Map<?, ?> map && "received".equals(map.get("type"))).getPayload();
        assertEquals(Map.of("type", "received", "total", (long) count, "inOrder", (long) count), received);
        primary.disconnect(worker).get(WAIT, TimeUnit.SECONDS);
        assertTrue(workerEvents.await(WorkerEvent.Exited.class, e -> e.getWorker() == worker).getExitedAfterDisconnect());
    }

    /** A message as a Java record. */
    record Ping(String type, int n) {}

    @Test
    void forkStartsAWorkerNodeStyle() throws Exception {
        start(1);
        JavaPrimary primary = cluster.primary();
        Recorder<WorkerEvent.Message> messages = new Recorder<>();
        primary.onMessage(messages);

        Worker forked = primary.fork(Map.of("GREETING", "forked"));
        workerEvents.await(WorkerEvent.Online.class, e -> e.getWorker() == forked);
        workerEvents.await(WorkerEvent.Listening.class, e -> e.getWorker() == forked);
        assertNull(forked.getSlot(), "a worker of fork() is not supervised");
        primary.send(forked, Map.of("type", "ping", "n", 1)).get(WAIT, TimeUnit.SECONDS);
        Map<?, ?> pong = (Map<?, ?>) messages.await(WorkerEvent.Message.class, m -> m.getWorker() == forked && isPong(m, 1)).getPayload();
        assertEquals("forked", pong.get("greeting"));

        forked.disconnect();
        WorkerEvent.Exited exited = workerEvents.await(WorkerEvent.Exited.class, e -> e.getWorker() == forked);
        assertTrue(exited.getExitedAfterDisconnect());
        assertEquals(0, exited.getCode());
        assertEquals(1, primary.activeWorkers().size());
    }

    @Test
    void restartReplacesTheWorkersGracefullyOrWithASignal() throws Exception {
        start(1);
        Recorder<PrimaryEvent> events = new Recorder<>();
        cluster.onEvent(events);
        int port = workerEvents.await(WorkerEvent.Listening.class).getPort();
        Worker first = cluster.primary().activeWorkers().get(0);

        cluster.restart().get(WAIT, TimeUnit.SECONDS);
        Worker second = cluster.primary().activeWorkers().get(0);
        assertNotEquals(first.getId(), second.getId());
        assertTrue(first.isDead());
        assertEquals(new PrimaryEvent.Restarting(null), events.await(PrimaryEvent.Restarting.class));
        assertEquals(new PrimaryEvent.Restarted(null), events.await(PrimaryEvent.Restarted.class));
        assertEquals(PrimaryState.ACTIVE, cluster.state());
        assertEquals(second.getId(), Integer.parseInt(fetch(port)));

        cluster.restart(Signal.KILL).get(WAIT, TimeUnit.SECONDS);
        events.await(PrimaryEvent.Restarting.class, e -> e.getSignal() == Signal.KILL);
        WorkerEvent.Exited killed = workerEvents.await(WorkerEvent.Exited.class, e -> e.getWorker() == second);
        assertEquals(Signal.KILL, killed.getSignal());
        workerEvents.await(WorkerEvent.Listening.class, e -> e.getWorker().getId() > second.getId());
        assertEquals(PrimaryState.ACTIVE, cluster.state());
    }

    @Test
    void closeDisconnectsEveryWorkerThenCloses() throws Exception {
        start(2);
        Recorder<PrimaryEvent> published = new Recorder<>();
        cluster.events().subscribe(published);
        List<Worker> workers = cluster.primary().activeWorkers();

        cluster.close().get(WAIT, TimeUnit.SECONDS);
        assertEquals(PrimaryState.CLOSED, cluster.state());
        assertEquals(PrimaryState.CLOSED, cluster.awaitClosed().get(WAIT, TimeUnit.SECONDS));
        published.await(PrimaryEvent.Closing.class);
        published.await(PrimaryEvent.Closed.class);
        for (Worker worker : workers) {
            assertTrue(workerEvents.await(WorkerEvent.Exited.class, e -> e.getWorker() == worker).getExitedAfterDisconnect());
            assertFalse(worker.getProcess().isAlive(), worker + " still runs");
        }
        assertTrue(cluster.primary().workers().isEmpty());
        assertEquals("onExit", hooks.all().get(hooks.all().size() - 1));
    }

    @Test
    void misuseIsTaught() {
        IllegalArgumentException notAnApp = assertThrows(IllegalArgumentException.class, () -> Clusters.builder(String.class));
        assertTrue(notAnApp.getMessage().contains("JavaWorkerApp"), notAnApp.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EchoCluster.builder(1).set("no such setting", 1).start());
        IllegalStateException nested = assertThrows(IllegalStateException.class,
                () -> Clusters.builder(context -> {}).step(c -> c.start()).listen(0).start());
        assertTrue(nested.getMessage().contains("outer builder"), nested.getMessage());
    }

    @Test
    void developmentToolsDebugPortsAndReloadOnChange() throws Exception {
        int jdwpBase = freePortsAfter(2); // workers 1 and 2 debug on the next two ports up
        assertThrows(IllegalArgumentException.class, () -> Plugins.reload(List.of(Path.of("/no/such/classes"))));
        Path watched = Files.createTempDirectory("jcluster-java-reload");
        try {
            cluster = EchoCluster.builder(1)
                    .debugPorts(new DebugPorts(jdwpBase))
                    .use(JavaPlugins.reload(List.of(watched), Set.of("class"), Duration.ofMillis(200)))
                    .use(recorder)
                    .start().get(WAIT, TimeUnit.SECONDS);
            Worker first = cluster.primary().activeWorkers().get(0);
            assertEquals(1, first.getId());
            assertEquals("JDWP-Handshake", jdwpHandshake(jdwpBase + 1));

            Recorder<PrimaryEvent> events = new Recorder<>();
            cluster.onEvent(events);
            Files.writeString(watched.resolve("App.class"), "changed");
            assertEquals(new PrimaryEvent.Restarted(null), events.await(PrimaryEvent.Restarted.class));
            Worker second = cluster.primary().activeWorkers().get(0);
            assertNotEquals(first.getId(), second.getId());
            assertEquals("JDWP-Handshake", jdwpHandshake(jdwpBase + second.getId()));
        } finally {
            Files.walk(watched).sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    @Test
    void supervisionTakesJavaDurationsInAnyOrder() {
        var supervision = new SupervisionBuilder()
                .respawnDelay(Duration.ofSeconds(20)) // above the default maximum, until the next line
                .maxRespawnDelay(Duration.ofSeconds(40))
                .maxRestarts(3)
                .build();
        assertEquals(3, supervision.getMaxRestarts());
        assertThrows(IllegalArgumentException.class, () -> new SupervisionBuilder().respawnDelay(Duration.ofSeconds(20)).build());
    }

    @Test
    void jvmHealthSettingsAreJavaFriendly() {
        var supervision = new SupervisionBuilder()
                .heapDumpDirectory(Path.of("/tmp/dumps"))
                .replaceDeadlocked(false)
                .maxGcShare(null)
                .maxLiveHeapShare(0.9)
                .healthWindow(Duration.ofSeconds(30))
                .build();
        assertTrue(supervision.getExitOnOutOfMemory());
        assertEquals(Path.of("/tmp/dumps"), supervision.getHeapDumpDirectory());
        assertFalse(supervision.getReplaceDeadlocked());
        assertNull(supervision.getMaxGcShare());
        assertEquals(Double.valueOf(0.9), supervision.getMaxLiveHeapShare());
        assertThrows(IllegalArgumentException.class, () -> new SupervisionBuilder().maxGcShare(1.5).build());
    }

    private static boolean isPong(WorkerEvent.Message message, long n) {
        return message.getPayload() instanceof Map<?, ?> map && "pong".equals(map.get("type")) && Long.valueOf(n).equals(map.get("n"));
    }

    /** A port whose next {@code count} ports are free on 127.0.0.1 now. */
    private static int freePortsAfter(int count) throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (int attempt = 0; attempt < 100; attempt++) {
            int base;
            try (ServerSocket probe = new ServerSocket(0, 1, loopback)) {
                base = probe.getLocalPort();
            }
            boolean free = base + count <= 65_535;
            for (int port = base + 1; free && port <= base + count; port++) {
                try (ServerSocket ignored = new ServerSocket(port, 1, loopback)) {
                    // free
                } catch (java.io.IOException taken) {
                    free = false;
                }
            }
            if (free) return base;
        }
        throw new IllegalStateException("no free consecutive ports on 127.0.0.1");
    }

    private static String jdwpHandshake(int port) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("JDWP-Handshake".getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readNBytes(14), StandardCharsets.US_ASCII);
        }
    }

    private static String fetch(int port) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port);
             BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))) {
            return reader.readLine();
        }
    }
}
