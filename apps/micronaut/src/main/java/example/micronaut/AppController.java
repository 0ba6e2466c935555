package example.micronaut;

import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.runtime.event.annotation.EventListener;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

/** {@code GET /} and {@code GET /slow?ms=N}; the slow one blocks, so it runs off the event loop. */
@Controller
public class AppController {
    private static final long PID = ProcessHandle.current().pid();

    @Get(produces = "text/plain")
    public String hello() {
        return "hello from micronaut pid=" + PID + "\n";
    }

    @Get(value = "/slow", produces = "text/plain")
    @ExecuteOn(TaskExecutors.BLOCKING)
    public String slow(@QueryValue(defaultValue = "1000") long ms) throws InterruptedException {
        Thread.sleep(ms);
        return "slow " + ms + " ms pid=" + PID + "\n";
    }

    @EventListener
    void onStartup(ServerStartupEvent event) {
        System.out.println("micronaut serving on port " + event.getSource().getPort() + " pid=" + PID);
    }
}
