package io.jcluster.bench

/**
 * However a bench driver ends (its last line, an exception, or `timeout`'s TERM), no server, cluster or
 * load generator it started outlives it: call once at the start of `main`.
 */
fun killDescendantsOnExit() {
    Runtime.getRuntime().addShutdownHook(Thread { ProcessHandle.current().descendants().forEach { it.destroyForcibly() } })
}
