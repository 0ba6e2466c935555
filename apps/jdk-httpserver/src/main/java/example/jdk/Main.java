package example.jdk;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/** A JDK HttpServer app: {@code GET /} and {@code GET /slow?ms=N}; port from {@code --port=N} or PORT. */
public final class Main {
    private static final long PID = ProcessHandle.current().pid();

    public static void main(String[] args) throws IOException {
        // The server writes headers and body separately: without TCP_NODELAY, Nagle and delayed ACKs cost
        // ~40 ms per keep-alive request. Read once, when the server's config class loads: set it first.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server = HttpServer.create(new InetSocketAddress(port(args)), 0);
        server.createContext("/", Main::handle);
        // A pool, not the default single dispatcher thread, so that /slow does not hold up others.
        server.setExecutor(Executors.newFixedThreadPool(64));
        server.start();
        // stop(n) closes the listener, then waits up to n seconds for exchanges in flight.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(10)));
        System.out.println("jdk-httpserver serving on port " + server.getAddress().getPort() + " pid=" + PID);
    }

    private static void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String body;
        int status = 200;
        if (path.equals("/")) {
            body = "hello from jdk-httpserver pid=" + PID + "\n";
        } else if (path.equals("/slow")) {
            long ms = millis(exchange.getRequestURI().getQuery());
            sleep(ms);
            body = "slow " + ms + " ms pid=" + PID + "\n";
        } else {
            status = 404;
            body = "not found\n";
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static long millis(String query) {
        if (query != null) {
            for (String pair : query.split("&")) {
                if (pair.startsWith("ms=")) return Long.parseLong(pair.substring(3));
            }
        }
        return 1000;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int port(String[] args) {
        for (String arg : args) {
            if (arg.startsWith("--port=")) return Integer.parseInt(arg.substring(7));
        }
        String env = System.getenv("PORT");
        return env == null || env.isEmpty() ? 8080 : Integer.parseInt(env);
    }
}
