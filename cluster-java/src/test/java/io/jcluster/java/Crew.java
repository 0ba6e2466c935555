package io.jcluster.java;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A plain Java graph for advanced messages: crews name each other as mates (a cycle), with JDK values. */
public final class Crew {
    public String name;
    public LocalDate since;
    public final List<Crew> mates = new ArrayList<>();
    public final Map<String, Object> notes = new LinkedHashMap<>();

    public Crew() {}

    Crew(String name, LocalDate since) {
        this.name = name;
        this.since = since;
    }
}
