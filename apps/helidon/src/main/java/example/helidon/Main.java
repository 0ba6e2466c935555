package example.helidon;

import io.helidon.config.Config;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;

/**
 * A Helidon SE 4 app: {@code GET /} and {@code GET /slow?ms=N}. Port from Helidon's config:
 * application.yaml, overridden by {@code -Dserver.port=N} or SERVER_PORT.
 */
public final class Main {
    private static final long PID = ProcessHandle.current().pid();

    public static void main(String[] args) {
        LogConfig.configureRuntime();
        Config config = Config.create();
        Config.global(config);
        // Helidon registers its own shutdown hook: TERM stops the server gracefully.
        WebServer server = WebServer.builder()
                .config(config.get("server"))
                .routing(Main::routing)
                .build()
                .start();
        System.out.println("helidon serving on port " + server.port() + " pid=" + PID);
    }

    static void routing(HttpRouting.Builder routing) {
        routing.get("/", (req, res) -> res.send("hello from helidon pid=" + PID + "\n"))
                .get("/slow", (req, res) -> {
                    long ms = Long.parseLong(req.query().first("ms").orElse("1000"));
                    Thread.sleep(ms); // a virtual thread per request: blocking is the model
                    res.send("slow " + ms + " ms pid=" + PID + "\n");
                });
    }
}
