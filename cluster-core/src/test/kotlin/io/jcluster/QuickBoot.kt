package io.jcluster

/**
 * The JVM flags of the specs' worker JVMs: C1 alone and the serial collector, as cluster-ipc's peers
 * have. A test worker lives for seconds, and the suite runs on two busy cores, where C2's compiles
 * and G1's set-up at each boot cost more CPU than they give back.
 * Nothing a spec checks with them depends on C2 or G1; a spec about the workers' collector, heap or
 * fast start sets its own jvmArgs. The other modules' specs take it from this module's test-jar.
 * (A file of its own: the DSL primaries and workers load it.)
 */
val QUICK_BOOT: List<String> = listOf("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
