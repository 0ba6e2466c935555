package io.jcluster.run

import io.jcluster.ops.Plugins
import io.jcluster.ReadyWhen
import io.jcluster.SharingStrategy
import io.jcluster.WorkerApp
import io.jcluster.cluster
import kotlinx.coroutines.runBlocking
import picocli.CommandLine
import picocli.CommandLine.Command
import picocli.CommandLine.Option
import picocli.CommandLine.Parameters
import java.nio.file.Path
import java.util.concurrent.Callable
import kotlin.system.exitProcess
import kotlin.time.Duration.Companion.seconds

/**
 * `jcluster run [options] -- JAVA_ARGS...`: clusters an unmodified JVM server. This process is the
 * primary; each worker runs `java JAVA_ARGS` with jcluster's agent added, which makes the app's own
 * listeners the cluster's (see docs/run.md). Every cluster feature applies: supervision, reload on
 * `HUP`, `TTIN`/`TTOU`, `TERM` graceful, the control socket (`jcluster status`), metrics, pidfiles.
 */
@Command(
    name = "jcluster run",
    usageHelpAutoWidth = true,
    mixinStandardHelpOptions = true,
    description = ["Runs an unmodified JVM server as a cluster of worker JVMs sharing its ports."],
)
public class RunCommand : Callable<Int> {
    @Option(names = ["--workers", "-w"], description = ["Worker JVMs (default: one per processor)."])
    internal var workers: Int = Runtime.getRuntime().availableProcessors()

    @Option(names = ["--strategy"], description = ["How workers share a port: shared (default) or reuse-port."])
    internal var strategy: String = "shared"

    @Option(names = ["--standby"], description = ["Warm standby JVMs kept ready to replace a worker (default 0)."])
    internal var standby: Int = 0

    @Option(
        names = ["--reload-takes-standbys"],
        description = ["A reload promotes the standbys started from the jars on disk instead of starting JVMs (only if the app reads no config outside them at boot)."],
    )
    internal var reloadTakesStandbys: Boolean = false

    @Option(names = ["--control-socket"], description = ["The control socket's path (default: found by `jcluster status`)."])
    internal var controlSocket: Path? = null

    @Option(names = ["--metrics-port"], description = ["Serve /metrics, /healthz and /readyz on 127.0.0.1 at this port."])
    internal var metricsPort: Int? = null

    @Option(names = ["--pid-dir"], description = ["Write primary.pid and worker.N.pid here."])
    internal var pidDir: Path? = null

    @Option(names = ["--drain-delay"], description = ["Seconds between taking a worker out and disconnecting it (default 0)."])
    internal var drainDelay: Double = 0.0

    @Option(names = ["--timeout"], description = ["Seconds a disconnecting worker has for its graceful shutdown before KILL (default 10)."])
    internal var timeout: Double = 10.0

    @Option(names = ["--boot-timeout"], description = ["Seconds a worker may take to be ready (default 60)."])
    internal var bootTimeout: Double = 60.0

    @Option(names = ["--ready-when"], description = ["listening (default: the app's first listener accepts) or started (connected)."])
    internal var readyWhen: String = "listening"

    @Option(names = ["--user"], description = ["Run the workers as this user (a name or uid, through setpriv); the primary keeps its own (root, to bind ports below 1024)."])
    internal var user: String? = null

    @Option(names = ["--group"], description = ["The workers' group (a name or gid; default: the --user's primary group)."])
    internal var group: String? = null

    @Option(names = ["--agent-jar"], hidden = true, description = ["The agent jar (default: the property jcluster.agent.jar)."])
    internal var agentJar: Path? = null

    @Parameters(paramLabel = "JAVA_ARGS", description = ["What you would give java: -jar app.jar ..., or -cp CP Main ..."])
    internal var javaArgs: List<String> = emptyList()

    override fun call(): Int {
        val settings = RunSettings.of(this)
        runBlocking {
            cluster(WorkerApp { error("a jcluster run primary runs no app of its own") }) {
                workers = settings.workers
                strategy = settings.strategy
                timeout = settings.timeout
                drainDelay = settings.drainDelay
                supervision = supervision.copy(
                    readyWhen = settings.readyWhen, bootTimeout = settings.bootTimeout, standby = standby, reloadTakesStandbys = reloadTakesStandbys,
                )
                use(Plugins.control(controlSocket))
                metricsPort?.let { use(Plugins.metrics(it)) }
                pidDir?.let { use(Plugins.pidfiles(it)) }
                user = settings.user
                group = settings.group
                settings { it.copy(jvmArgs = settings.workerJvmArgs, javaArgs = settings.javaArgs, fastStart = false) }
            }
        }
        return 0
    }

    public companion object {
        /** Runs the command; exits with 0 once the cluster closed, 2 on bad input, 69 if the cluster failed. */
        @JvmStatic
        public fun main(args: Array<String>) {
            val line = CommandLine(RunCommand())
            line.setExecutionExceptionHandler { e, _, _ ->
                if (e !is UsageException && e !is IllegalArgumentException) throw e
                System.err.println("jcluster run: ${e.message}")
                2
            }
            line.setParameterExceptionHandler { e, _ ->
                System.err.println("jcluster run: ${e.message} (see jcluster run --help)")
                2
            }
            exitProcess(line.execute(*args))
        }
    }
}

/** Bad input: printed as one line, exit code 2. */
internal class UsageException(message: String) : Exception(message)

/** The command's options, checked and turned into what the cluster takes. */
internal class RunSettings(
    val workers: Int,
    val strategy: SharingStrategy,
    val timeout: kotlin.time.Duration,
    val drainDelay: kotlin.time.Duration,
    val bootTimeout: kotlin.time.Duration,
    val readyWhen: ReadyWhen,
    val workerJvmArgs: List<String>,
    val javaArgs: List<String>,
    val user: String?,
    val group: String?,
) {
    companion object {
        fun of(command: RunCommand): RunSettings = with(command) {
            if (workers < 1) throw UsageException("--workers must be at least 1, was $workers")
            if (standby < 0) throw UsageException("--standby must not be negative, was $standby")
            if (timeout <= 0 || bootTimeout <= 0 || drainDelay < 0) throw UsageException("--timeout and --boot-timeout must be positive, --drain-delay not negative")
            val strategy = runCatching { SharingStrategy.parse(strategy) }.getOrElse { throw UsageException(it.message ?: "bad --strategy") }
            if (strategy == SharingStrategy.ROUND_ROBIN) {
                throw UsageException("--strategy round-robin cannot cluster an unmodified app (the primary would have to put connections in the app's accept queue): use shared or reuse-port")
            }
            val ready = when (readyWhen.lowercase()) {
                "listening" -> ReadyWhen.LISTENING
                "started" -> ReadyWhen.STARTED
                else -> throw UsageException("--ready-when must be listening or started, was '$readyWhen'")
            }
            if (group != null && user == null) throw UsageException("--group needs --user: the workers change both through setpriv")
            val agent = AgentJar.locate(agentJar)
            // Another user cannot read this user's cache of junixsocket's library: it extracts its own.
            val flags = if (user == null) AgentJar.workerFlags(agent) else AgentJar.agentFlag(agent)
            RunSettings(workers, strategy, timeout.seconds, drainDelay.seconds, bootTimeout.seconds, ready, flags, JavaArgs.check(javaArgs), user, group)
        }
    }
}
