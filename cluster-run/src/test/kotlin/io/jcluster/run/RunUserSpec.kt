package io.jcluster.run

import io.jcluster.ipc.Ipc
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.collections.shouldNotBeEmpty
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.io.File
import java.net.InetAddress
import java.net.ServerSocket
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit
import kotlin.time.Duration.Companion.minutes

/**
 * `jcluster run --user`: the primary keeps root and binds, the workers run the unmodified app as
 * another user, so its unchanged listen on a privileged port works (Node's `server.listen(80)`).
 * Without root, the primary cannot bind such a port for any worker: the cluster stops with one line.
 * These run where the specs run as root with util-linux `setpriv` (here and in CI); elsewhere skipped.
 */
class RunUserSpec : FunSpec({
    timeout = 3.minutes.inWholeMilliseconds

    test("--user nobody: both workers serve on a privileged port, as nobody").config(enabled = asRootWithSetpriv()) {
        val port = freePrivilegedPort()
        RunProcess.start(listOf("--workers", "2", "--user", "nobody"), RunProcess.app("channel", "$port")).use { run ->
            run.listeningPorts(workers = 2).toSet() shouldContainExactly setOf(port)
            val pids = RunProcess.pidsAnswering(port, count = 2)
            pids shouldHaveSize 2
            pids.map { ProcessHandle.of(it.trim().toLong()).orElseThrow().info().user().orElse("?") }.toSet() shouldContainExactly setOf("nobody")
        }
    }

    test("a primary without root: a privileged port stops the cluster with one line, exit 69").config(enabled = asRootWithSetpriv()) {
        val port = freePrivilegedPort()
        val scratch = Files.createTempDirectory("jcluster-run-nobody")
        try {
            val (classpath, agent, app) = listOf(RunProcess.launcherClasspath, RunProcess.agentJar.toString(), RunProcess.testClasses).map { copyFor(scratch, it) }
            val control = Files.createDirectory(scratch.resolve("control"))
            Files.setOwner(control, control.fileSystem.userPrincipalLookupService.lookupPrincipalByName("nobody"))
            val command = listOf("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", RunProcess.java()) + Ipc.jvmFlags +
                listOf("-Djcluster.agent.jar=$agent", "-Djava.io.tmpdir=$scratch", "-cp", classpath, RunCommand::class.java.name, "--workers", "2") +
                listOf("--control-socket", "${control.resolve("control.sock")}", "--", "-cp", app, "io.jcluster.run.apps.ListenerApp", "channel", "$port")
            val process = ProcessBuilder(command).redirectErrorStream(true).start()
            try {
                val output = withContext(Dispatchers.IO) { process.inputStream.bufferedReader().readLines() }
                withContext(Dispatchers.IO) { process.waitFor(60, TimeUnit.SECONDS) } shouldBe true
                withClue(output.joinToString("\n")) {
                    process.exitValue() shouldBe 69
                    output.filter { STACK_FRAME.containsMatchIn(it) } shouldBe emptyList() // no stack trace, a worker's or the primary's
                    output.filter { "cannot listen on 127.0.0.1:$port: permission denied (ports below 1024 need root" in it }.shouldNotBeEmpty()
                }
            } finally {
                process.descendants().forEach { it.destroyForcibly() }
                process.destroyForcibly()
            }
        } finally {
            scratch.toFile().deleteRecursively()
        }
    }

    test("--group without --user: one line, exit 2") {
        RunProcess.start(listOf("--group", "nogroup"), RunProcess.app("channel", "0")).use { run ->
            run.awaitExit() shouldBe 2
            run.output.filter { it.isNotBlank() } shouldContainExactly listOf("jcluster run: --group needs --user: the workers change both through setpriv")
        }
    }
})

private val STACK_FRAME = Regex("""\sat [\w.$]+\(""")

internal fun asRootWithSetpriv(): Boolean =
    ProcessHandle.current().info().user().orElse("") == "root" && File("/usr/bin/setpriv").canExecute()

/**
 * [classpath]'s entries copied into [scratch], readable by every user (`nobody` cannot read /root,
 * where the build's repository usually is); the new classpath.
 */
internal fun copyFor(scratch: Path, classpath: String): String {
    generateSequence(scratch.toAbsolutePath()) { it.parent }.forEach { it.toFile().setExecutable(true, false) }
    scratch.toFile().setReadable(true, false)
    scratch.toFile().setWritable(true, false)
    return classpath.split(File.pathSeparator).filter { it.isNotEmpty() && File(it).exists() }.joinToString(File.pathSeparator) { entry ->
        val source = File(entry)
        val target = Files.createTempDirectory(scratch, "cp").resolve(source.name).toFile()
        source.copyRecursively(target)
        target.parentFile.walk().forEach { it.setReadable(true, false); if (it.isDirectory) it.setExecutable(true, false) }
        target.path
    }
}

/** A port below 1024 that 127.0.0.1 can bind now (the specs run as root). */
internal fun freePrivilegedPort(): Int = (900..1000).first { port ->
    runCatching { ServerSocket(port, 1, InetAddress.getLoopbackAddress()).close() }.isSuccess
}
