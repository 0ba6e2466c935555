package io.jcluster.apps

import java.nio.file.Path

/**
 * One unmodified framework app under `apps/`, as a test or a benchmark starts it:
 * `java [portStyle's JVM args] -jar jar [portStyle's app args] [extraArgs]`.
 */
public data class FixtureApp(
    /** Short name, also the first word of [readyLine] (`spring-mvc`, `netty-epoll`, ...). */
    val name: String,
    /** The packaged jar, absolute; run it with `java -jar`. */
    val jar: Path,
    /** How the app takes its HTTP port (its framework's usual way). */
    val portStyle: PortStyle,
    /** Further arguments after the jar that the fixtures always pass (Spring's management port: 0). */
    val extraArgs: List<String> = emptyList(),
    /** The lowest Java feature release that runs the app (Helidon 4 needs 21). */
    val minJava: Int = 17,
    /** How the framework listens, for readers of test failures: its socket type and transport. */
    val listener: String,
    /** Other ports the app opens besides the HTTP one (Spring's actuator port), for readers. */
    val secondListener: String? = null,
) {
    /**
     * The line the app prints once it serves: group 1 is the HTTP port it really bound, group 2 its pid.
     * Spring MVC's line also names its management port between the two. Not anchored, so that it
     * also finds the line behind a prefix that a launcher's log adds.
     */
    val readyLine: Regex = Regex("${Regex.escape(name)} serving on port (\\d+)\\b.* pid=(\\d+)")

    /** The arguments after `java` that start the app on [port] (0 picks a free one where allowed). */
    public fun javaArgs(port: Int): List<String> =
        portStyle.jvmArgs(port) + listOf("-jar", jar.toString()) + portStyle.appArgs(port) + extraArgs

    /** The whole command with the [java] launcher given; see [FixtureApps.javaFor] for one that fits. */
    public fun command(java: Path, port: Int): List<String> = listOf(java.toString()) + javaArgs(port)
}

/** How an app takes its port: an argument after the jar, or a system property before `-jar`. */
public sealed interface PortStyle {
    /** Arguments before `-jar`. */
    public fun jvmArgs(port: Int): List<String> = emptyList()

    /** Arguments after the jar. */
    public fun appArgs(port: Int): List<String> = emptyList()

    /** `[prefix]N` after the jar: `--server.port=N` (Spring), `--port=N`, `-port=N` (Ktor's EngineMain). */
    public data class AppArgument(val prefix: String) : PortStyle {
        override fun appArgs(port: Int): List<String> = listOf("$prefix$port")
    }

    /** `-D[name]=N` before `-jar` (Helidon's config: `server.port`). */
    public data class SystemProperty(val name: String) : PortStyle {
        override fun jvmArgs(port: Int): List<String> = listOf("-D$name=$port")
    }
}
