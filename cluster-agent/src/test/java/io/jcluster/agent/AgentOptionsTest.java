package io.jcluster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The agent's options become the launcher's arguments, which the launcher alone checks. */
class AgentOptionsTest {
    @Test
    void pairsBecomeLongOptions() {
        assertEquals(List.of("--workers", "4", "--strategy", "reuse-port"), AgentOptions.toLauncherArguments("workers=4,strategy=reuse-port"));
        assertEquals(List.of(), AgentOptions.toLauncherArguments(null));
        assertEquals(List.of(), AgentOptions.toLauncherArguments(""));
    }

    @Test
    void aMalformedOptionSaysHowToWriteOne() {
        for (String bad : List.of("workers", "=4", "workers=", "workers=4,,strategy=shared")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AgentOptions.toLauncherArguments(bad));
            assertTrue(e.getMessage().startsWith("malformed agent option"), e.getMessage());
        }
    }
}
