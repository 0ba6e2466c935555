package io.jcluster.run

import io.jcluster.ipc.Ipc
import io.jcluster.QUICK_BOOT
import io.kotest.assertions.withClue
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.combine
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.io.File
import java.net.InetSocketAddress
import java.net.Socket
import java.net.StandardProtocolFamily
import java.net.UnixDomainSocketAddress
import java.nio.ByteBuffer
import java.nio.channels.SocketChannel
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.attribute.PosixFilePermissions
import java.util.concurrent.TimeUnit
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/**
 * `jcluster run` in a JVM of its own, as a user starts it, and what it printed (the primary's log and
 * the workers' lines, prefixed `[worker N]`). [close] kills it and every process under it.
 */
class RunProcess private constructor(private val process: Process, val scratch: Path) : AutoCloseable {
    private val lines = MutableStateFlow<List<String>>(emptyList())

    /** True once the output has ended (the launcher and every worker closed it): no line comes any more. */
    private val ended = MutableStateFlow(false)

    init {
        Thread({
            try {
                process.inputStream.bufferedReader().forEachLine { line -> lines.update { it + line } }
            } finally {
                ended.value = true
            }
        }, "run-output").apply { isDaemon = true; start() }
    }

    val pid: Long = process.pid()
    val output: List<String> get() = lines.value
    val controlSocket: Path = scratch.resolve("control.sock")

    /**
     * Waits until [count] lines pass [test]; returns them. Fails at once if the output ends without
     * them (the cluster failed or exited: they can no longer come), else after [timeout].
     */
    suspend fun await(count: Int = 1, timeout: Duration = 60.seconds, test: (String) -> Boolean): List<String> =
        withClue({ "waiting for $count lines like that; output so far:\n${output.joinToString("\n")}" }) {
            withTimeout(timeout) { combine(lines, ended) { all, done -> all to done }.first { (all, done) -> done || all.count(test) >= count } }
            val all = lines.value // complete once ended (set after the last line), and only ever grows
            check(all.count(test) >= count) { "the output ended with ${all.count(test)} of the $count lines awaited" }
            all.filter(test).take(count)
        }

    /** The ports of the first [workers]×[perWorker] `listening KIND PORT` lines the workers printed. */
    suspend fun listeningPorts(workers: Int, perWorker: Int = 1): List<Int> =
        await(workers * perWorker) { "] listening " in it }.map { it.substringAfterLast(' ').toInt() }

    /** Waits for the launcher to exit; its exit code. */
    suspend fun awaitExit(timeout: Duration = 60.seconds): Int = withContext(Dispatchers.IO) {
        withClue({ "waiting for jcluster run to exit; output:\n${output.joinToString("\n")}" }) {
            check(process.waitFor(timeout.inWholeMilliseconds, TimeUnit.MILLISECONDS)) { "still running after $timeout" }
        }
        // The output thread may still be reading the last lines.
        delay(100.milliseconds)
        process.exitValue()
    }

    fun signal(name: String) {
        Runtime.getRuntime().exec(arrayOf("kill", "-$name", pid.toString())).waitFor()
    }

    /** Every process under the launcher (worker JVMs, their shells). */
    fun descendants(): List<ProcessHandle> = process.toHandle().descendants().toList()

    /** One request of the control socket's protocol (`{"command":"status"}`): its one-line JSON answer. */
    fun control(command: String): String = SocketChannel.open(StandardProtocolFamily.UNIX).use { channel ->
        channel.connect(UnixDomainSocketAddress.of(controlSocket))
        channel.write(ByteBuffer.wrap("{\"command\":\"$command\"}\n".toByteArray()))
        val out = StringBuilder()
        val buffer = ByteBuffer.allocate(8192)
        while (!out.endsWith("\n") && channel.read(buffer.clear()) > 0) out.append(String(buffer.array(), 0, buffer.position()))
        out.toString().trim()
    }

    override fun close() {
        val children = descendants()
        process.destroyForcibly()
        children.forEach { it.destroyForcibly() }
        process.waitFor(10, TimeUnit.SECONDS)
        children.forEach { it.onExit().get(10, TimeUnit.SECONDS) }
        scratch.toFile().deleteRecursively()
    }

    companion object {
        /** The agent jar cluster-agent built (at its process-classes; see its pom). */
        val agentJar: Path = Path.of(System.getProperty("jcluster.agent.jar") ?: error("run the specs through Maven: jcluster.agent.jar is not set"))

        /** This module's test classes: where the fixture apps are. */
        val testClasses: String = System.getProperty("java.class.path").split(File.pathSeparator).first { it.endsWith("test-classes") }

        /** The launcher's classpath: the specs' own, less cluster-agent's classes (the launcher never loads them). */
        val launcherClasspath: String = System.getProperty("java.class.path").split(File.pathSeparator)
            .filterNot { "cluster-agent" in it || it.endsWith(".pom") }.joinToString(File.pathSeparator)

        /**
         * Starts `jcluster run OPTIONS -- JAVA_ARGS` with its control socket in a scratch directory, on
         * [java] (the workers run on the launcher's JDK: Helidon 4 needs 21+).
         */
        fun start(options: List<String>, javaArgs: List<String>, jvm: List<String> = emptyList(), java: String = java()): RunProcess {
            val scratch = Files.createTempDirectory("jcluster-run", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")))
            val command = listOf(java) + Ipc.jvmFlags + jvm + listOf("-Djcluster.agent.jar=$agentJar", "-cp", launcherClasspath, RunCommand::class.java.name) +
                listOf("--control-socket", scratch.resolve("control.sock").toString()) + options + listOf("--") + javaArgs
            return RunProcess(ProcessBuilder(command).redirectErrorStream(true).start(), scratch)
        }

        /** Starts `java JVM_ARGS` as is (the `-javaagent` primary form). */
        fun startJava(args: List<String>): RunProcess {
            val scratch = Files.createTempDirectory("jcluster-run", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")))
            return RunProcess(ProcessBuilder(listOf(java()) + args).redirectErrorStream(true).start(), scratch)
        }

        /** The fixture app `ListenerApp` with [args], on [QUICK_BOOT] (which boots Spring MVC in 4.9 s here instead of 6.8). */
        fun app(vararg args: String): List<String> = QUICK_BOOT + listOf("-cp", testClasses, "io.jcluster.run.apps.ListenerApp") + args

        fun java(): String = Path.of(System.getProperty("java.home"), "bin", "java").toString()

        /** One HTTP/1.1 request with `Connection: close`: the body (a fixture app answers with its pid). */
        fun get(port: Int, path: String = "/"): String = Socket().use { socket ->
            socket.soTimeout = 10_000
            socket.connect(InetSocketAddress("127.0.0.1", port), 5_000)
            socket.getOutputStream().write("GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".toByteArray())
            val response = socket.getInputStream().readBytes().decodeToString()
            check(response.startsWith("HTTP/1.1 200")) { "not a 200: $response" }
            response.substringAfter("\r\n\r\n")
        }

        /** Asks [port] until answers came from [count] different pids (the kernel spreads connections at random). */
        suspend fun pidsAnswering(port: Int, count: Int, timeout: Duration = 20.seconds): Set<String> = withContext(Dispatchers.IO) {
            val pids = HashSet<String>()
            withClue({ "answers came from $pids only" }) {
                withTimeout(timeout) { while (pids.size < count) pids += get(port) }
            }
            pids
        }
    }
}
