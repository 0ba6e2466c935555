package io.jcluster.java;

import io.jcluster.QuickBootKt;
import io.jcluster.SharingStrategy;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The cluster of the Java tests, one configuration for both roles: the test (the primary) calls
 * {@code builder(n).start()}, and each worker runs this class's {@code main}, whose {@code run()}
 * serves {@link EchoApp} on the address the same chain names.
 */
public final class EchoCluster {
    private EchoCluster() {}

    static ClusterBuilder builder(int workers) {
        return Clusters.builder(EchoApp.class)
                .workers(workers)
                .strategy(SharingStrategy.SHARED)
                .listen(0, "127.0.0.1")
                .timeout(Duration.ofSeconds(5))
                .env("all", c -> c.environmentVariables(Map.of("GREETING", "hello from env(all)")))
                .env("no-such-environment", c -> c.workers(99))
                // Workers start plain, from the test's own classpath (as the Kotlin specs' testSettings).
                .mainClass(EchoCluster.class.getName())
                .args(List.of())
                .jvmArgs(QuickBootKt.getQUICK_BOOT()) // cluster-core's spec flags: C1, the serial collector
                .fastStart(false);
    }

    public static void main(String[] args) {
        builder(1).run();
    }
}
