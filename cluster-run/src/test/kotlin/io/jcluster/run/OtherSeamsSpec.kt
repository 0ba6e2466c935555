package io.jcluster.run

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.shouldBe
import java.io.File
import kotlin.time.Duration.Companion.minutes

/**
 * The seams beyond the JDK's bind: Netty's native epoll transport (its own JNI bind), and the
 * `-javaagent` form, where the app's own command line becomes the primary.
 */
class OtherSeamsSpec : FunSpec({
    timeout = 3.minutes.inWholeMilliseconds

    test("Netty on epoll: both workers serve on one port") {
        val classpath = System.getProperty("java.class.path").split(File.pathSeparator)
            .filter { it.endsWith("test-classes") || "/io/netty/" in it }.joinToString(File.pathSeparator)
        RunProcess.start(listOf("--workers", "2"), listOf("-cp", classpath, "io.jcluster.run.apps.NettyEpollApp", "0")).use { run ->
            val port = run.listeningPorts(workers = 2).toSet().single()
            RunProcess.pidsAnswering(port, count = 2) shouldHaveSize 2
        }
    }

    test("java -javaagent:jcluster-agent.jar=workers=2 with an app's command line: that JVM is the primary") {
        val scratch = kotlin.io.path.createTempDirectory("jcluster-agent-primary").also { it.toFile().setExecutable(true, true) }
        val socket = scratch.resolve("control.sock")
        java.nio.file.Files.setPosixFilePermissions(scratch, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"))
        val args = listOf("-Djcluster.run.classpath=${RunProcess.launcherClasspath}", "-javaagent:${RunProcess.agentJar}=workers=2,control-socket=$socket") +
            RunProcess.app("http", "0")
        RunProcess.startJava(args).use { run ->
            val port = run.listeningPorts(workers = 2).toSet().single()
            RunProcess.pidsAnswering(port, count = 2).also { it shouldHaveSize 2 }.forEach { it.toLong() shouldBe it.toLong() }
            run.signal("TERM")
            run.awaitExit() shouldBe 0
        }
        scratch.toFile().deleteRecursively()
    }
})
