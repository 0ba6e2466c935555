package io.jcluster.java;

import io.jcluster.QuickBootKt;
import io.jcluster.http.JdkHttp;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * An HTTP cluster written the way the README tells Java users to: {@code Clusters.builder(JdkHttp.app(…))}.
 * Each worker answers every request with {@code hello from worker <id>}. The test (the primary) calls
 * {@code builder(n).start()}; each worker runs this class's {@code main}.
 */
public final class HelloHttpCluster {
    private HelloHttpCluster() {}

    static ClusterBuilder builder(int workers) {
        return Clusters.builder(JdkHttp.app(exchange -> {
                    byte[] body = ("hello from worker " + Clusters.worker().id() + "\n").getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(200, body.length);
                    try (var out = exchange.getResponseBody()) { out.write(body); }
                }))
                .workers(workers)
                .listen(0, "127.0.0.1")
                .timeout(Duration.ofSeconds(5))
                .mainClass(HelloHttpCluster.class.getName())
                .args(List.of())
                .jvmArgs(QuickBootKt.getQUICK_BOOT()) // cluster-core's spec flags: C1, the serial collector
                .fastStart(false);
    }

    public static void main(String[] args) {
        builder(1).run();
    }
}
