package example.javalin;

import io.javalin.Javalin;
import org.eclipse.jetty.server.handler.StatisticsHandler;

/** A Javalin 6 app: {@code GET /} and {@code GET /slow?ms=N}; port from {@code --port=N} or PORT. */
public final class Main {
    private static final long PID = ProcessHandle.current().pid();

    public static void main(String[] args) {
        Javalin app = Javalin.create(config -> config.jetty.modifyServer(server -> {
            // Jetty's graceful stop: refuse new connections, wait up to 10 s for requests in flight.
            server.setStopTimeout(10_000);
            StatisticsHandler stats = new StatisticsHandler();
            stats.setHandler(server.getHandler());
            server.setHandler(stats);
        }));
        app.get("/", ctx -> ctx.result("hello from javalin pid=" + PID + "\n"));
        app.get("/slow", ctx -> {
            long ms = Long.parseLong(ctx.queryParamAsClass("ms", String.class).getOrDefault("1000"));
            Thread.sleep(ms);
            ctx.result("slow " + ms + " ms pid=" + PID + "\n");
        });
        // Javalin's documented shutdown: stop the app from a shutdown hook.
        Runtime.getRuntime().addShutdownHook(new Thread(app::stop));
        app.start(port(args));
        System.out.println("javalin serving on port " + app.port() + " pid=" + PID);
    }

    private static int port(String[] args) {
        for (String arg : args) {
            if (arg.startsWith("--port=")) return Integer.parseInt(arg.substring(7));
        }
        String env = System.getenv("PORT");
        return env == null || env.isEmpty() ? 8080 : Integer.parseInt(env);
    }
}
