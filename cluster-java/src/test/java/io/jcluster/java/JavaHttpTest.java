package io.jcluster.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpHandler;
import io.jcluster.Cluster;
import io.jcluster.ClusterEvent;
import io.jcluster.ClusterListener;
import io.jcluster.ClusterPlugin;
import io.jcluster.CurrentWorker;
import io.jcluster.ListenOptions;
import io.jcluster.ManagedCluster;
import io.jcluster.Primary;
import io.jcluster.ReloadResult;
import io.jcluster.RespawnScheduled;
import io.jcluster.Worker;
import io.jcluster.WorkerApp;
import io.jcluster.WorkerEvent;
import io.jcluster.http.HttpAdapters;
import io.jcluster.http.HttpStats;
import io.jcluster.http.JdkHttp;
import io.jcluster.http.Jetty;
import io.jcluster.http.Netty;
import io.jcluster.http.RunningHttpServer;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
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
 * What a Java user writes, compiled as Java: the HTTP adapters' static {@code app(…)} and
 * {@code start(…)}, a server's stop with a {@code java.time.Duration}, a reload's
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
        assertTrue(before.contains(getId(port)), "answered by one of " + before);

        ReloadResult reloaded = cluster.primary().reload().get(WAIT, TimeUnit.SECONDS);
        Duration took = reloaded.getTook();
        assertEquals(2, reloaded.getReplaced());
        assertTrue(took.compareTo(Duration.ZERO) > 0 && took.compareTo(Duration.ofSeconds(WAIT)) < 0, took.toString());
        Set<Integer> after = ids(cluster.primary().activeWorkers());
        assertTrue(after.stream().noneMatch(before::contains), before + " then " + after);
        assertTrue(after.contains(getId(port)), "answered by one of " + after);

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
    void everyAdapterStartsFromStaticMethodsAndStopsWithAJavaDuration() throws Exception {
        List<RunningHttpServer> servers = new ArrayList<>();
        InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
        Duration stopTimeout = Duration.ofSeconds(2);
        try {
            servers.add(JdkHttp.start(0, "127.0.0.1", JavaHandlers.jdk("jdk")));
            servers.add(JdkHttp.start(loopback, new ListenOptions(), stopTimeout, JavaHandlers.jdk("jdk")));
            servers.add(JdkHttp.start(listener(), JavaHandlers.jdk("jdk")));
            servers.add(JdkHttp.serve(listener(), JavaHandlers.jdk("jdk"), Runnable::run));
            servers.add(JdkHttp.INSTANCE.serve(listener(), JavaHandlers.jdk("jdk"))); // the adapter as a value, too
            servers.add(Jetty.start(0, "127.0.0.1", JavaHandlers.jetty("jetty")));
            servers.add(Jetty.start(loopback, new ListenOptions(), stopTimeout, JavaHandlers.jetty("jetty")));
            servers.add(Jetty.start(listener(), JavaHandlers.jetty("jetty")));
            servers.add(Netty.start(0, "127.0.0.1", JavaHandlers.netty("netty")));
            servers.add(Netty.start(loopback, new ListenOptions(), stopTimeout, JavaHandlers.netty("netty")));
            servers.add(Netty.start(listener(), JavaHandlers.netty("netty")));
            List<String> bodies = new ArrayList<>();
            for (RunningHttpServer server : servers) {
                bodies.add(get(port(server)).body());
                HttpStats stats = server.getStats();
                assertEquals(1L, stats.getRequests(), server.getAddress().toString());
                assertTrue(stats.getOpenConnections() <= 1, stats.toString());
            }
            assertEquals(List.of("jdk", "jdk", "jdk", "jdk", "jdk", "jetty", "jetty", "jetty", "netty", "netty", "netty"), bodies);

            RunningHttpServer stopped = servers.remove(0);
            stopped.stop(Duration.ofMillis(500)); // blocks until stopped: its port refuses at once
            assertThrows(IOException.class, () -> new Socket("127.0.0.1", port(stopped)).close());
            stopped.stop(Duration.ofMillis(500)); // idempotent
        } finally {
            servers.forEach(RunningHttpServer::close);
        }
        assertEquals(Duration.ofSeconds(5), RunningHttpServer.defaultStopTimeout());
        assertEquals(Duration.ofSeconds(1), RunningHttpServer.idleGrace());
        // What binds every local address is only compiled here (the tests bind 127.0.0.1 alone).
        BiFunction<Integer, HttpHandler, RunningHttpServer> onEveryAddress = JdkHttp::start;
        assertNotNull(onEveryAddress);
        assertNotNull(HttpAdapters.app(Jetty.INSTANCE, JavaHandlers.jetty("any adapter")));
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

    private static ClusterListener listener() throws Exception {
        return Clusters.listen(0, "127.0.0.1").get(WAIT, TimeUnit.SECONDS);
    }

    private static int port(RunningHttpServer server) {
        return ((InetSocketAddress) server.getAddress()).getPort();
    }

    private static Set<Integer> ids(List<Worker> workers) {
        return workers.stream().map(Worker::getId).collect(Collectors.toSet());
    }

    /** GET / and the id of the worker that answered. */
    private int getId(int port) throws Exception {
        return Integer.parseInt(get(port).body().trim().substring("hello from worker ".length()));
    }

    /** GET /, answered 200. */
    private HttpResponse<String> get(int port) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return response;
    }
}
