package io.jcluster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The agent's JSON against what cluster-core's control messages look like on the wire. */
class JsonTest {
    @Test
    void writesAControlMessageAsKotlinxSerializationReadsIt() {
        Map<String, Object> listen = Json.object("type", "listen", "address", Json.object("host", null, "port", 0, "path", null),
            "backlog", 511, "strategy", null, "index", 1);
        assertEquals("{\"type\":\"listen\",\"address\":{\"host\":null,\"port\":0,\"path\":null},\"backlog\":511,\"strategy\":null,\"index\":1}",
            Json.write(listen));
    }

    @Test
    void readsAGrantWithNestedObjectsArraysAndEscapes() {
        Object grant = Json.parse(" {\"type\":\"listen-granted\",\"lease\":3,\"strategy\":\"SHARED\",\"address\":{\"host\":\"127.0.0.1\",\"port\":8080,\"path\":null},"
            + "\"refusedBy\":[1,2],\"reason\":\"a \\\"quoted\\\" \\u00e9\\n\"} ");
        Map<?, ?> map = (Map<?, ?>) grant;
        assertEquals(3L, map.get("lease"));
        assertEquals(8080L, ((Map<?, ?>) map.get("address")).get("port"));
        assertEquals(List.of(1L, 2L), map.get("refusedBy"));
        assertEquals("a \"quoted\" é\n", map.get("reason"));
    }

    @Test
    void roundTripsStringsWithControlCharacters() {
        String text = "tab\there \"and\" back\\slash \u0001";
        assertEquals(text, ((Map<?, ?>) Json.parse(Json.write(Json.object("s", text)))).get("s"));
    }

    @Test
    void refusesMalformedInput() {
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"type\":"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":1} trailing"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{a:1}"));
    }
}
