package io.jcluster.java;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jcluster.ClusterEvent;
import io.jcluster.ExitReason;
import io.jcluster.ManagedCluster;
import io.jcluster.ClusterPlugin;
import io.jcluster.Worker;
import io.jcluster.WorkerEvent;
import io.jcluster.WorkerPipe;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A worker's own verbs from Java (Node's {@code worker.kill()}, {@code destroy()} and {@code isConnected()}
 * in a worker) and an exit code above 128 through {@code JavaWorker.exit}: what the primary sees.
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
