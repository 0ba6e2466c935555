package io.jcluster.fresh

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldNotContain
import io.kotest.matchers.string.shouldStartWith
import java.net.ServerSocket
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.attribute.PosixFilePermissions
import kotlin.io.path.readText
import kotlin.io.path.writeText
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds
import kotlin.time.TimeSource

/**
 * jcluster as a new Java team meets it (issue 19), outside the checkout: a Spring Boot 3 project
 * (Spring's parent, so Spring's managed Kotlin) that imports jcluster-bom and the Java facade,
 * packaged as a fat jar and run with a bare `java -jar app.jar` on 2 workers; and the CLI jar that
 * `./mvnw package` leaves, copied with bin/jcluster into a directory of their own.
 */
class FreshProjectSpec : FunSpec({
    val work = Files.createTempDirectory("jcluster-fresh")
    val repository = Checkout.localRepository()
    val template = Checkout.root.resolve("fresh-project/src/test/resources/fresh-app")
    val control = Files.createDirectory(work.resolve("control"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")))
    val socket = control.resolve("fresh.sock").toString()
    val cli = Files.createDirectory(work.resolve("cli"))
    val port = ServerSocket(0).use { it.localPort }
    var app: Running? = null
    val workers = mutableSetOf<Answer>()

    /** The template copied to [name] (changed by [edit]) and packaged: its fat jar. */
    fun packaged(name: String, edit: (String) -> String = { it }): Path {
        val dir = work.resolve(name).also { Checkout.copyTree(template, it) }
        dir.resolve("pom.xml").let { it.writeText(edit(it.readText())) }
        Checkout.maven(dir, repository, 3.minutes, "package", "-Djcluster.version=${Checkout.version}")
        return dir.resolve("target/app.jar")
    }

    afterSpec {
        app?.close()
        work.toFile().deleteRecursively()
    }

    test("the CLI jar ./mvnw package leaves runs with java -jar, copied with bin/jcluster out of the checkout").config(timeout = 4.minutes) {
        Checkout.maven(Checkout.root, repository, 3.minutes, "-pl", "cluster-cli", "package", "-Dmaven.test.skip=true")
        Files.copy(Checkout.root.resolve("cluster-cli/target/jcluster.jar"), cli.resolve("jcluster.jar"))
        Files.copy(Checkout.root.resolve("bin/jcluster"), cli.resolve("jcluster"))
        val (code, usage) = Processes.run(work, 30.seconds, Checkout.java, "-jar", cli.resolve("jcluster.jar").toString(), "--help")
        (code to usage) shouldBe (0 to usage)
        usage shouldStartWith "Usage: jcluster [-hV] [--socket=PATH] [COMMAND]" // picocli's help
        usage shouldContain "status"
        Processes.run(work, 30.seconds, cli.resolve("jcluster").toString(), "--help") shouldBe (0 to usage)
    }

    test("without jcluster-bom imported first, Spring Boot's Kotlin 1.9 breaks jcluster at start (what the line fixes)").config(timeout = 4.minutes) {
        val jar = packaged("without-bom") { pom -> pom.lines().filterNot { "<artifactId>jcluster-bom</artifactId>" in it }.joinToString("\n") }
        val (code, output) = Processes.run(work, 90.seconds, Checkout.java, "-jar", jar.toString(), port.toString(), socket)
        code shouldBe 1
        output shouldContain "java.lang.NoSuchMethodError"
    }

    test("the Spring Boot app with jcluster-bom imported first serves HTTP from 2 workers, run as java -jar app.jar").config(timeout = 4.minutes) {
        val jar = packaged("app")
        val running = Running(work, Checkout.java, "-jar", jar.toString(), port.toString(), socket).also { app = it }
        val deadline = TimeSource.Monotonic.markNow() + 2.minutes
        while (workers.map { it.pid }.toSet().size < 2 && deadline.hasNotPassedNow() && running.isAlive) {
            runCatching { Http.get(port) }.onSuccess { workers += it }.onFailure { Thread.sleep(200) }
        }
        running.output shouldNotContain "needs the JVM flag"
        workers.map { it.pid }.toSet().size shouldBe 2
        val children = ProcessHandle.of(running.pid).orElseThrow().descendants().map { it.pid() }.toList()
        workers.forEach { (it.pid in children) shouldBe true }
        // A worker runs `-cp app.jar <Main-Class>`, where the manifest's Add-Opens does not apply: the primary passes the flag.
        val worker = ProcessHandle.of(workers.first().pid).orElseThrow().info().arguments().orElseThrow().toList()
        worker shouldContain "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"
        worker shouldContain "org.springframework.boot.loader.launch.JarLauncher"
    }

    test("jcluster status, from the copied jar and the copied script, reads the running app's control socket").config(timeout = 1.minutes) {
        val (code, status) = Processes.run(work, 30.seconds, Checkout.java, "-jar", cli.resolve("jcluster.jar").toString(), "--socket", socket, "status")
        (code to status) shouldBe (0 to status)
        status shouldContain "2/2 workers ready"
        workers.forEach { status shouldContain "${it.pid}" }
        Processes.run(work, 30.seconds, cli.resolve("jcluster").toString(), "--socket", socket, "status").first shouldBe 0
    }

    test("a HUP reload under load replaces both workers and loses no request").config(timeout = 4.minutes) {
        val running = checkNotNull(app) { "the app did not start" }
        val old = workers.map { it.pid }.toSet()
        val load = Load(port)
        try {
            waitFor(1.minutes) { load.answers.size >= 20 }
            running.signal("HUP")
            waitFor(3.minutes) { load.answers.map { it.pid }.toSet().minus(old).size == 2 && old.none { ProcessHandle.of(it).isPresent } }
            val replaced = load.answers.size
            waitFor(1.minutes) { load.answers.size >= replaced + 20 }
        } finally {
            load.stop()
        }
        val answers = load.answers
        println("FreshProjectSpec: HUP reload under load: ${answers.size} answers (${answers.count { it.pid in old }} from the old workers), ${load.failures.size} failed")
        load.failures.shouldBeEmpty()
        answers.size shouldBeGreaterThan 40
    }

    // Needs the default INFO lifecycle lines of branch `failfast` (logger io.jcluster.cluster): fails until it is merged.
    test("the primary's log names each fork and the reload, at INFO by default").config(timeout = 1.minutes) {
        val output = checkNotNull(app) { "the app did not start" }.output
        Regex("""worker \d+ forked: pid \d+, slot \d+""").findAll(output).count() shouldBe 4
        output shouldContain "reload started: 2 workers"
        output shouldContain Regex("""reload finished: 2 replaced in \d+ ms""")
    }
})

/** Polls [done] until it holds; fails after [timeout]. */
private fun waitFor(timeout: kotlin.time.Duration, done: () -> Boolean) {
    val deadline = TimeSource.Monotonic.markNow() + timeout
    while (!done()) {
        check(deadline.hasNotPassedNow()) { "not done within $timeout" }
        Thread.sleep(50)
    }
}
