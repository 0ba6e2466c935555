package io.jcluster

import java.io.File
import java.lang.management.ManagementFactory
import java.nio.file.Path
import java.util.jar.JarFile
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds

/** Where a worker's stdout and stderr go. */
public enum class Stdio {
    /** Shared with the primary's own stdout and stderr (the primary cannot capture a crash's stderr). */
    INHERIT,

    /** Into the primary's stdout and stderr, each line prefixed with `[worker N]`. The default. */
    PIPE,

    /** Discarded (the first stderr lines are still kept for [WorkerEvent.Exited]). */
    SILENT,
}

/**
 * How the primary starts workers, like Node's `cluster.settings`. Changes apply to later forks only.
 * By default a worker runs the primary's own main class with its arguments, JVM options and classpath.
 *
 * @property mainClass the class whose `main` a worker runs.
 * @property args the worker's program arguments.
 * @property jvmArgs JVM options for the worker (the flags the IPC needs are added by the primary).
 * @property processorsPerWorker how many processors each worker JVM counts (`-XX:ActiveProcessorCount`),
 *   so that what it sizes by that count (GC and JIT threads, the common pool, `Dispatchers.Default`,
 *   Netty's event loops, Jetty's selectors) fits its share of the machine, instead of every worker
 *   sizing itself for all of it. The workers keep the primary's garbage collector unless [jvmArgs]
 *   choose one (a JVM counting one processor would pick the serial collector). Null, the default
 *   here: the JVM counts them all. The `cluster { }` DSL gives each worker its share, `cpus / workers`.
 *   Set, it also gives each worker its share of the memory (docs/memory.md), unless [jvmArgs] set the heap.
 * @property workingDirectory the worker's working directory; null: the primary's.
 * @property environment extra environment variables for every worker.
 * @property stdio where the worker's output goes.
 * @property fastStart start workers with a class-data archive the primary creates on its first start and
 *   reuses after (AppCDS), and with junixsocket's native library extracted once for all workers. On
 *   JDKs before 25 the first worker also writes, as it exits, an archive of all it loaded, the
 *   application's classes included, which later workers of the same build start from.
 * @property disconnectTimeout how long a disconnecting worker may take before the primary kills it.
 * @property killTimeout after `TERM`, how long before `KILL`.
 * @property strategy how workers share a port, unless a listener says otherwise; the environment
 *   variable `JCLUSTER_SCHED_POLICY` sets the default (see [SharingStrategy]).
 * @property sticky sticky sessions for every listener that does not say otherwise
 *   ([ListenOptions.sticky]); such a listener is round-robin unless it names another strategy, and
 *   then it is not sticky. Null, the default: connections go in turn.
 * @property maxPendingHandoffs under round-robin, how many connections a worker may have handed to it
 *   and not yet acknowledged (workers acknowledge in batches) before the primary skips it.
 * @property supervision how the workers of [Primary.spawn] are kept alive: respawn, budget, readiness,
 *   heartbeat, recycling, reload (see [Supervision]).
 * @property user run the workers as this user (a name or a uid), through util-linux `setpriv`: a
 *   primary started as root may bind privileged ports and its workers still run unprivileged. The
 *   control socket is handed to that user; the classpath must be readable by it. Null: the primary's user.
 * @property group the workers' group (a name or a gid); null: the [user]'s primary group.
 * @property controlSocket where the primary binds its control socket; null: a fresh private directory
 *   under `java.io.tmpdir` (LearnBoost's `socket path`).
 * @property java the `java` executable.
 * @property classpath the worker's classpath.
 * @property debugPorts a JDWP (and, if asked, JMX) port per worker, each on its own port; null: none (see [DebugPorts]).
 * @property javaArgs what follows the JVM options in the worker's command line, in place of
 *   `-cp classpath mainClass args`: a command the user would give `java` (`-jar app.jar`), as
 *   `jcluster run` does. Null, the default: `-cp` [classpath] [mainClass] [args]. Fast start's class-data
 *   archive, trained on [classpath], is not used with it.
 */
public data class ClusterSettings(
    val mainClass: String = PrimaryProcess.mainClass,
    val args: List<String> = PrimaryProcess.args,
    val jvmArgs: List<String> = PrimaryProcess.jvmArgs,
    val processorsPerWorker: Int? = null,
    val workingDirectory: Path? = null,
    val environment: Map<String, String> = emptyMap(),
    val stdio: Stdio = Stdio.PIPE,
    val fastStart: Boolean = true,
    val disconnectTimeout: Duration = 10.seconds,
    val killTimeout: Duration = 5.seconds,
    val strategy: SharingStrategy = SharingStrategy.fromEnvironment() ?: SharingStrategy.SHARED,
    val maxPendingHandoffs: Int = 32,
    val supervision: Supervision = Supervision(),
    val user: String? = null,
    val group: String? = null,
    val controlSocket: Path? = null,
    val java: Path = PrimaryProcess.java,
    val classpath: String = PrimaryProcess.classpath,
    val debugPorts: DebugPorts? = null,
    val javaArgs: List<String>? = null,
    val sticky: StickySessions? = null,
) {
    init {
        require(mainClass.isNotBlank() || javaArgs != null) { "mainClass is blank: set ClusterSettings.mainClass to the class workers should run" }
        require(disconnectTimeout.isPositive()) { "disconnectTimeout must be positive, was $disconnectTimeout" }
        require(killTimeout.isPositive()) { "killTimeout must be positive, was $killTimeout" }
        require(processorsPerWorker == null || processorsPerWorker > 0) { "processorsPerWorker must be positive, was $processorsPerWorker (null: all the machine's)" }
        require(maxPendingHandoffs > 0) { "maxPendingHandoffs must be positive, was $maxPendingHandoffs" }
        require(group == null || user != null) { "group is set but user is not: set user too (workers change both through setpriv)" }
        require(debugPorts?.jdwpBase == null || jvmArgs.none { it.startsWith("-agentlib:jdwp") || it.startsWith("-Xrunjdwp") }) {
            "jvmArgs start a JDWP agent and debugPorts starts one per worker: remove it from jvmArgs"
        }
    }
}

/** What this JVM was started with: the defaults a worker inherits. */
internal object PrimaryProcess {
    private val command: List<String> = (System.getProperty("sun.java.command") ?: "").split(' ').filter { it.isNotEmpty() }

    /** The main class; for `java -jar app.jar`, the jar's `Main-Class` (its workers then run `-cp app.jar` that class). */
    val mainClass: String = command.firstOrNull()?.let { if (it.endsWith(".jar")) manifestMainClass(it) else it } ?: ""
    val args: List<String> = command.drop(1)

    private fun manifestMainClass(jar: String): String =
        runCatching { JarFile(jar).use { it.manifest?.mainAttributes?.getValue("Main-Class") } }.getOrNull() ?: ""
    val java: Path = Path.of(System.getProperty("java.home"), "bin", "java")

    /** The primary's classpath, less `.pom` entries (Maven lists pom-type dependencies; they hold no classes and break AppCDS). */
    val classpath: String = System.getProperty("java.class.path").split(File.pathSeparator)
        .filterNot { it.endsWith(".pom") }.joinToString(File.pathSeparator)

    private val NOT_INHERITED = listOf(
        "-agentlib:", "-agentpath:", "-javaagent:", "-Xrunjdwp", "-XX:ArchiveClassesAtExit", "-XX:SharedArchiveFile",
        "-XX:StartFlightRecording", "-Djava.class.path",
    )

    /** The primary's JVM options, less those that must not be shared (debug agents, archive dumps). */
    val jvmArgs: List<String> = ManagementFactory.getRuntimeMXBean().inputArguments.filterNot { arg ->
        NOT_INHERITED.any { arg.startsWith(it) }
    }

}
