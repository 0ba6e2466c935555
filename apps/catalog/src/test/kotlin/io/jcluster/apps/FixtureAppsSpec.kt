package io.jcluster.apps

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.nio.file.Files
import java.nio.file.Path

/**
 * The catalog's own contract, without starting any app (the agent's integration tests start them):
 * names, jar locations inside this checkout, commands, ready lines and the choice of `java`.
 */
class FixtureAppsSpec : FunSpec({
    test("eight apps, distinct names, each jar under this checkout's apps/ directory") {
        FixtureApps.all shouldHaveSize 8
        FixtureApps.all.map { it.name }.toSet() shouldHaveSize 8
        Files.isRegularFile(FixtureApps.dir.resolve("pom.xml")) shouldBe true
        FixtureApps.all.forEach { it.jar.startsWith(FixtureApps.dir) shouldBe true }
    }

    test("commands put a system property before -jar and an app argument after the jar") {
        val java = Path.of("/j/bin/java")
        FixtureApps.helidon.command(java, 0) shouldContainExactly
            listOf("/j/bin/java", "-Dserver.port=0", "-jar", FixtureApps.helidon.jar.toString())
        FixtureApps.springMvc.javaArgs(8080) shouldContainExactly listOf(
            "-jar", FixtureApps.springMvc.jar.toString(), "--server.port=8080", "--management.server.port=0",
        )
        FixtureApps.ktor.javaArgs(1) shouldContainExactly listOf("-jar", FixtureApps.ktor.jar.toString(), "-port=1")
    }

    test("ready lines give the bound port and the pid, Spring's with its management port between") {
        val mvc = FixtureApps.springMvc.readyLine.find("spring-mvc serving on port 41000 management port 41001 pid=77")
        mvc?.groupValues?.drop(1) shouldBe listOf("41000", "77")
        val jdk = FixtureApps.jdkHttpServer.readyLine.find("jdk-httpserver serving on port 8080 pid=5")
        jdk?.groupValues?.drop(1) shouldBe listOf("8080", "5")
        FixtureApps.javalin.readyLine.find("jdk-httpserver serving on port 8080 pid=5") shouldBe null
        val prefixed = FixtureApps.ktor.readyLine.find("[worker 2] ktor serving on port 9 pid=3")
        prefixed?.groupValues?.drop(1) shouldBe listOf("9", "3")
    }

    test("javaFor: this JVM when it is recent enough") {
        val own = Path.of(System.getProperty("java.home"), "bin", "java")
        FixtureApps.javaFor(FixtureApps.nettyEpoll) shouldBe own
    }

    test("an unknown name is a one-line error that lists the known ones") {
        shouldThrow<IllegalArgumentException> { FixtureApps.named("tomcat") }.message shouldContain "spring-mvc"
        FixtureApps.named("ktor") shouldBe FixtureApps.ktor
    }
})
