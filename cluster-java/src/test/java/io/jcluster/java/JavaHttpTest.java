package io.jcluster.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpHandler;
import io.jcluster.Cluster;
import io.jcluster.ClusterEvent;
import io.jcluster.ClusterPlugin;
import io.jcluster.CurrentWorker;
import io.jcluster.ManagedCluster;
import io.jcluster.Primary;
import io.jcluster.ReloadResult;
import io.jcluster.RespawnScheduled;
import io.jcluster.Worker;
import io.jcluster.WorkerApp;
import io.jcluster.WorkerEvent;
import io.jcluster.http.JdkHttp;
import io.jcluster.http.Jetty;
import io.jcluster.http.Netty;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a Java user writes, compiled as Java: the HTTP adapters' static {@code app(…)}, a reload's
 * {@code java.time.Duration}, and core types that show no {@code suspend} function where the facade
 * has a future for it. The HTTP cluster is real: {@link HelloHttpCluster}'s workers on 127.0.0.1.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JavaHttpTest {
    private static final long WAIT = 60;

    private final Recorder<ClusterEvent> workerEvents = new Recorder<>();
    private final HttpClient client = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    private JavaCluster cluster;

    @AfterEach
    void killEveryWorker() {
        JavaClusterTest.killEveryWorker(cluster, workerEvents);
    }

    @Test
    void aClusterOfJdkHttpAppServesHttpAndReloadsWithAJavaDuration() throws Exception {
        ClusterPlugin recorder = new ClusterPlugin() {
            @Override
            public void onStarting(ManagedCluster started) {
                JavaCluster.of(started).primary().onEvent(workerEvents);
            }
        };
        cluster = HelloHttpCluster.builder(2).use(recorder).start().get(WAIT, TimeUnit.SECONDS);
        int port = workerEvents.await(WorkerEvent.Listening.class).getPort();
        Set<Integer> before = ids(cluster.primary().activeWorkers());
        assertEquals(2, before.size());
        assertTrue(before.contains(get(port)), "answered by one of " + before);

        ReloadResult reloaded = cluster.primary().reload().get(WAIT, TimeUnit.SECONDS);
        Duration took = reloaded.getTook();
        assertEquals(2, reloaded.getReplaced());
        assertTrue(took.compareTo(Duration.ZERO) > 0 && took.compareTo(Duration.ofSeconds(WAIT)) < 0, took.toString());
        Set<Integer> after = ids(cluster.primary().activeWorkers());
        assertTrue(after.stream().noneMatch(before::contains), before + " then " + after);
        assertTrue(after.contains(get(port)), "answered by one of " + after);

        cluster.close().get(WAIT, TimeUnit.SECONDS);
    }

    @Test
    void everyAdapterHasAStaticApp() throws Exception {
        // That these three lines compile is most of the test: app(…) is static on each adapter.
        WorkerApp jdk = JdkHttp.app(exchange -> exchange.sendResponseHeaders(204, -1));
        WorkerApp jetty = Jetty.app(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                return false;
            }
        });
        WorkerApp netty = Netty.app(new ChannelInboundHandlerAdapter());
        assertNotNull(jdk);
        assertNotNull(jetty);
        assertNotNull(netty);
        assertTrue(Modifier.isStatic(JdkHttp.class.getMethod("app", HttpHandler.class).getModifiers()));
    }

    @Test
    void theCoreTypesJavaMeetsShowNoSuspendFunction() throws Exception {
        List<Class<?>> types = List.of(ManagedCluster.class, Primary.class, Worker.class, CurrentWorker.class, Cluster.class,
                Class.forName("io.jcluster.ClusterDslKt"));
        List<String> leaks = types.stream()
                .flatMap(type -> Arrays.stream(type.getMethods()).filter(m -> !m.isSynthetic() && takesContinuation(m))
                        .map(m -> type.getSimpleName() + "." + m.getName()))
                .sorted().toList();
        assertEquals(List.of(), leaks, "suspend functions Java can see (hide them with @JvmSynthetic where the facade has a future)");
        // Kotlin-only, with a Java way in JavaWorker: a suspend lambda parameter is a Kotlin function.
        assertEquals(List.of(), visible(CurrentWorker.class, "onDisconnect", "addLivenessCheck"));
        // Kotlin's Duration is a value class, which Java cannot reach: these are the java.time ones.
        assertEquals(Duration.class, ReloadResult.class.getMethod("getTook").getReturnType());
        assertEquals(Duration.class, RespawnScheduled.class.getMethod("getDelay").getReturnType());
    }

    private static boolean takesContinuation(Method method) {
        return Stream.of(method.getParameterTypes()).anyMatch(p -> p.getName().equals("kotlin.coroutines.Continuation"));
    }

    private static List<String> visible(Class<?> type, String... names) {
        Set<String> wanted = Set.of(names);
        return Arrays.stream(type.getMethods()).filter(m -> !m.isSynthetic() && wanted.contains(m.getName())).map(Method::getName).toList();
    }

    private static Set<Integer> ids(List<Worker> workers) {
        return workers.stream().map(Worker::getId).collect(Collectors.toSet());
    }

    /** GET / and the id of the worker that answered. */
    private int get(int port) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return Integer.parseInt(response.body().trim().substring("hello from worker ".length()));
    }
}
