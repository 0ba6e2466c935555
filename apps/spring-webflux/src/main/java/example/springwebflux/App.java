package example.springwebflux;

import java.time.Duration;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** A Spring WebFlux app: {@code GET /} and {@code GET /slow?ms=N}; port from {@code --server.port=N}. */
@SpringBootApplication
@RestController
public class App {
    private static final long PID = ProcessHandle.current().pid();

    public static void main(String[] args) {
        SpringApplication.run(App.class, args);
    }

    @GetMapping("/")
    public Mono<String> hello() {
        return Mono.just("hello from spring-webflux pid=" + PID + "\n");
    }

    @GetMapping("/slow")
    public Mono<String> slow(@RequestParam(defaultValue = "1000") long ms) {
        return Mono.delay(Duration.ofMillis(ms)).map(tick -> "slow " + ms + " ms pid=" + PID + "\n");
    }

    @EventListener(ApplicationReadyEvent.class)
    public void ready(ApplicationReadyEvent event) {
        String port = event.getApplicationContext().getEnvironment().getProperty("local.server.port");
        System.out.println("spring-webflux serving on port " + port + " pid=" + PID);
    }
}
