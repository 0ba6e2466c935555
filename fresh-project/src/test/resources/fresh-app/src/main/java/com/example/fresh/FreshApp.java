package com.example.fresh;

import com.sun.net.httpserver.HttpExchange;
import io.jcluster.ops.Plugins;
import io.jcluster.http.JdkHttp;
import io.jcluster.java.Clusters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * A Spring Boot app that jcluster runs on 2 workers: {@code java -jar app.jar PORT CONTROL_SOCKET}.
 * Spring starts in the primary and in each worker (each reruns main); the workers answer with
 * who they are.
 */
@SpringBootApplication
public class FreshApp {
    /** Spring's part: the greeting every worker serves. */
    @Bean
    public Greeting greeting() {
        return new Greeting("hello from");
    }

    public static void main(String[] args) {
        var greeting = SpringApplication.run(FreshApp.class, args).getBean(Greeting.class);
        Clusters.builder(JdkHttp.app(exchange -> answer(exchange, greeting)))
            .workers(2)
            .use(Plugins.control(Path.of(args[1])))
            .listen(Integer.parseInt(args[0]), "127.0.0.1")
            .run();
    }

    private static void answer(HttpExchange exchange, Greeting greeting) throws IOException {
        var body = (greeting.text() + " worker " + Clusters.worker().id() + " pid " + ProcessHandle.current().pid() + "\n")
            .getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        try (var out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** A Spring bean. */
    public record Greeting(String text) {}
}
