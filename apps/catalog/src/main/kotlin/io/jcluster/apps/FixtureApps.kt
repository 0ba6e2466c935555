package io.jcluster.apps

import java.nio.file.Path
import java.util.Properties

/**
 * The fixture apps (one unmodified app per framework, built by the `apps/` modules), shared by the
 * agent's integration tests and `bench/run apps`. Every app answers `GET /` with a body holding
 * `pid=<its pid>`, `GET /slow?ms=N` after N ms, prints its [FixtureApp.readyLine] once it serves,
 * and stops gracefully on TERM where its framework can.
 */
public object FixtureApps {
    /** The `apps/` directory: `-Djcluster.apps.dir`, else the one this catalog was built from. */
    public val dir: Path by lazy { appsDir() }

    /** Spring Boot 3 MVC on Tomcat, actuator on a second port; Spring's repackaged (nested-jar) fat jar. */
    public val springMvc: FixtureApp by lazy {
        FixtureApp(
            "spring-mvc", jar("spring-mvc"), PortStyle.AppArgument("--server.port="),
            extraArgs = listOf("--management.server.port=0"),
            listener = "Tomcat NIO: ServerSocketChannel, accept in blocking mode on an acceptor thread",
            secondListener = "actuator on management.server.port (a second Tomcat)",
        )
    }

    /** Spring Boot 3 WebFlux on Reactor Netty; Spring's repackaged fat jar. */
    public val springWebflux: FixtureApp by lazy {
        FixtureApp(
            "spring-webflux", jar("spring-webflux"), PortStyle.AppArgument("--server.port="),
            listener = "Reactor Netty: native epoll by default (Reactor Netty depends on the native jar)",
        )
    }

    /** Javalin 6 on Jetty 11; a shaded jar. */
    public val javalin: FixtureApp by lazy {
        FixtureApp(
            "javalin", jar("javalin"), PortStyle.AppArgument("--port="),
            listener = "Jetty 11 ServerConnector: ServerSocketChannel, blocking accept",
        )
    }

    /** Ktor 3 on Netty, started by its EngineMain; a shaded jar. */
    public val ktor: FixtureApp by lazy {
        FixtureApp(
            "ktor", jar("ktor"), PortStyle.AppArgument("-port="),
            listener = "Ktor's Netty engine: NIO (epoll only if the native jar is added; it is not by default)",
        )
    }

    /** Micronaut 4 on its Netty server; Micronaut's shaded jar. */
    public val micronaut: FixtureApp by lazy {
        FixtureApp(
            "micronaut", jar("micronaut"), PortStyle.AppArgument("-micronaut.server.port="),
            listener = "Micronaut's Netty: NIO ServerSocketChannel with a selector",
        )
    }

    /** Helidon SE 4 (needs Java 21); its thin jar with `libs/` beside it (Helidon's parent names it so). */
    public val helidon: FixtureApp by lazy {
        FixtureApp(
            "helidon", dir.resolve("helidon/target/app-helidon.jar"), PortStyle.SystemProperty("server.port"),
            minJava = 21,
            listener = "Helidon 4.5: ServerSocketChannel, blocking accept, a virtual thread per connection",
        )
    }

    /** The JDK's com.sun.net.httpserver.HttpServer; a plain jar. */
    public val jdkHttpServer: FixtureApp by lazy {
        FixtureApp(
            "jdk-httpserver", jar("jdk-httpserver"), PortStyle.AppArgument("--port="),
            listener = "sun.net.httpserver: ServerSocketChannel, non-blocking, with a Selector",
        )
    }

    /** Plain Netty 4.2 on the native epoll transport; a shaded jar. */
    public val nettyEpoll: FixtureApp by lazy {
        FixtureApp(
            "netty-epoll", jar("netty-epoll"), PortStyle.AppArgument("--port="),
            listener = "Netty EpollServerSocketChannel: a native socket, no JDK channel",
        )
    }

    /** Every app, in a stable order. */
    public val all: List<FixtureApp> by lazy {
        listOf(springMvc, springWebflux, javalin, ktor, micronaut, helidon, jdkHttpServer, nettyEpoll)
    }

    /** The app called [name], or an error listing the names. */
    public fun named(name: String): FixtureApp =
        all.firstOrNull { it.name == name }
            ?: throw IllegalArgumentException("no fixture app '$name'; known: ${all.joinToString { it.name }}")

    /** A `java` launcher that runs [app]: this JVM's if recent enough, else a discovered one, else null. */
    public fun javaFor(app: FixtureApp): Path? = Jdks.javaAtLeast(app.minJava)

    private fun jar(module: String): Path = dir.resolve("$module/target/app-$module-0.1.0-SNAPSHOT.jar")

    private fun appsDir(): Path {
        System.getProperty("jcluster.apps.dir")?.let { return Path.of(it).toAbsolutePath().normalize() }
        val props = Properties()
        val stream = FixtureApps::class.java.getResourceAsStream("/jcluster-apps.properties")
            ?: error("jcluster-apps.properties is missing from the apps-catalog jar")
        stream.use { props.load(it) }
        return Path.of(props.getProperty("apps.dir")).toAbsolutePath().normalize()
    }
}
