package io.jcluster.java;

import java.util.List;

/**
 * The JVM flags of the tests' worker JVMs: C1 alone and the serial collector, as cluster-core's
 * specs have. A test worker lives for seconds on the suite's two busy cores, where C2's compiles and
 * G1's set-up cost more CPU at each boot than they give back; nothing these tests check depends on them.
 */
final class QuickBoot {
    static final List<String> FLAGS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    private QuickBoot() {
    }
}
