package example.springmvc;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** A Spring Boot MVC app: {@code GET /} and {@code GET /slow?ms=N}; port from {@code --server.port=N}. */
@SpringBootApplication
@RestController
public class App {
    private static final long PID = ProcessHandle.current().pid();

    public static void main(String[] args) {
        SpringApplication.run(App.class, args);
    }

    @GetMapping("/")
    public String hello() {
        return "hello from spring-mvc pid=" + PID + "\n";
    }

    @GetMapping("/slow")
    public String slow(@RequestParam(defaultValue = "1000") long ms) throws InterruptedException {
        Thread.sleep(ms);
        return "slow " + ms + " ms pid=" + PID + "\n";
    }

    @EventListener(ApplicationReadyEvent.class)
    public void ready(ApplicationReadyEvent event) {
        Environment env = event.getApplicationContext().getEnvironment();
        System.out.println("spring-mvc serving on port " + env.getProperty("local.server.port")
                + " management port " + env.getProperty("local.management.port") + " pid=" + PID);
    }
}
