package example.micronaut;

import io.micronaut.runtime.Micronaut;

/** Starts the Micronaut app; port from PORT or {@code -micronaut.server.port=N}. */
public class Application {
    public static void main(String[] args) {
        Micronaut.run(Application.class, args);
    }
}
