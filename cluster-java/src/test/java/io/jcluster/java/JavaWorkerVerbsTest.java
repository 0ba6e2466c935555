package io.jcluster.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.jcluster.Advanced;
import io.jcluster.AdvancedSerialization;
import io.jcluster.ClusterEvent;
import io.jcluster.ExitReason;
import io.jcluster.ManagedCluster;
import io.jcluster.ClusterPlugin;
import io.jcluster.Worker;
import io.jcluster.WorkerEvent;
import io.jcluster.WorkerPipe;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A worker's own verbs from Java (Node's {@code worker.kill()}, {@code destroy()} and {@code isConnected()}
 * in a worker) and an exit code above 128 through {@code JavaWorker.exit}: what the primary sees; and
 * the other user-facing parts of Node parity from Java: extra pipes, advanced messages.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JavaWorkerVerbsTest {
    private static final long WAIT = 60;
    private final Recorder<ClusterEvent> workerEvents = new Recorder<>();
    private JavaCluster cluster;

    private final ClusterPlugin recorder = new ClusterPlugin() {
        @Override
        public void onStarting(ManagedCluster started) {
            JavaCluster.of(started).primary().onEvent(workerEvents);
        }
    };

    @AfterEach
    void killEveryWorker() {
        JavaClusterTest.killEveryWorker(cluster, workerEvents);
    }

    /** Starts one worker, checks that it says it is connected, sends it {@code verb}, and returns its exit. */
    private String endedBy(Map<String, Object> verb) throws Exception {
        cluster = EchoCluster.builder(1).use(recorder).start().get(WAIT, TimeUnit.SECONDS);
        JavaPrimary primary = cluster.primary();
        Recorder<WorkerEvent.Message> messages = new Recorder<>();
        primary.onMessage(messages);
        Worker worker = primary.activeWorkers().get(0);
        primary.send(worker, Map.of("type", "verb", "name", "isConnected")).get(WAIT, TimeUnit.SECONDS);
        messages.await(WorkerEvent.Message.class, m -> m.getPayload().equals(Map.of("type", "connected", "value", true)));

        primary.send(worker, verb).get(WAIT, TimeUnit.SECONDS);
        WorkerEvent.Exited exited = workerEvents.await(WorkerEvent.Exited.class, e -> e.getWorker() == worker);
        List<String> order = workerEvents.all().stream()
                .filter(e -> e instanceof WorkerEvent.Disconnected || e instanceof WorkerEvent.Exited)
                .filter(e -> ((WorkerEvent) e).getWorker() == worker)
                .map(e -> e.getClass().getSimpleName()).toList();
        assertEquals(List.of("Disconnected", "Exited"), order);
        return "code=" + exited.getCode() + " signal=" + exited.getSignal() + " exitedAfterDisconnect=" + exited.getExitedAfterDisconnect()
                + " reason=" + exited.getReason();
    }

    @Test
    void aPipeCarriesBytesBothWaysBesideTheControlChannel() throws Exception {
        cluster = EchoCluster.builder(1).use(recorder).start().get(WAIT, TimeUnit.SECONDS);
        JavaPrimary primary = cluster.primary();
        Worker worker = primary.activeWorkers().get(0);
        primary.send(worker, Map.of("type", "verb", "name", "pipe")).get(WAIT, TimeUnit.SECONDS);
        try (WorkerPipe pipe = primary.openPipe(worker, "java").get(WAIT, TimeUnit.SECONDS)) {
            pipe.getOutput().write("hello, pipe".getBytes(StandardCharsets.UTF_8));
            pipe.getOutput().close(); // the worker reads the end
            assertEquals("HELLO, PIPE", new String(pipe.getInput().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aCyclicGraphWithJdkTypesGoesToAWorkerAndBackAsAnAdvancedMessage() throws Exception {
        AdvancedSerialization.allow(Crew.class);
        cluster = EchoCluster.builder(1).use(recorder).start().get(WAIT, TimeUnit.SECONDS);
        JavaPrimary primary = cluster.primary();
        Recorder<WorkerEvent.Message> messages = new Recorder<>();
        primary.onMessage(messages);
        Worker worker = primary.activeWorkers().get(0);
        Crew ada = new Crew("ada", LocalDate.of(2026, 12, 6));
        Crew bob = new Crew("bob", LocalDate.of(2025, 1, 31));
        ada.mates.add(bob);
        bob.mates.add(ada);
        ZonedDateTime meeting = ZonedDateTime.of(2026, 12, 7, 9, 30, 0, 0, ZoneId.of("Europe/Paris"));
        ada.notes.put("meeting", meeting);
        ada.notes.put("tags", List.of("jvm", "ipc"));

        primary.send(worker, Advanced.of(ada)).get(WAIT, TimeUnit.SECONDS);
        Crew back = (Crew) messages.await(WorkerEvent.Message.class, m -> m.getPayload() instanceof Crew).getPayload();
        assertSame(back, back.mates.get(0).mates.get(0), "the cycle came back whole");
        assertEquals(Map.of("meeting", meeting, "tags", List.of("jvm", "ipc"), "cycle", true, "seenBy", worker.getId()), back.notes);
        assertEquals(List.of("ada 2026-12-06", "bob 2025-01-31"),
                List.of(back.name + " " + back.since, back.mates.get(0).name + " " + back.mates.get(0).since));
    }

    @Test
    void destroyInAWorkerEndsItAfterADisconnect() throws Exception {
        assertEquals("code=0 signal=null exitedAfterDisconnect=true reason=DISCONNECT", endedBy(Map.of("type", "verb", "name", "destroy")));
    }

    @Test
    void killInAWorkerIsDestroy() throws Exception {
        assertEquals("code=0 signal=null exitedAfterDisconnect=true reason=DISCONNECT", endedBy(Map.of("type", "verb", "name", "kill")));
    }

    @Test
    void exit137ThroughTheWorkerIsACodeNotASignal() throws Exception {
        assertEquals("code=137 signal=null exitedAfterDisconnect=false reason=" + ExitReason.CRASH,
                endedBy(Map.of("type", "verb", "name", "exit", "code", 137)));
    }
}
