package io.jcluster.samples;

import io.jcluster.ops.Plugins;
import io.jcluster.http.JdkHttp;
import io.jcluster.java.Clusters;

/** The README's first example in Java (HelloDsl.kt's twin): Hello World on port 3000, one worker per CPU; run with bin/hello-java. */
public final class HelloJava {
    public static void main(String[] args) {
        Clusters.builder(JdkHttp.app(exchange -> {
            exchange.sendResponseHeaders(200, 12);
            try (var body = exchange.getResponseBody()) { body.write("Hello World\n".getBytes()); }
        })).workers(Runtime.getRuntime().availableProcessors())
            .env("development", c -> c.use(Plugins.debug()))
            .listen(3000, "127.0.0.1")
            .run();
    }
}
