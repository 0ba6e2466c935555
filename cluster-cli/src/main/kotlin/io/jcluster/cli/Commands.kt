package io.jcluster.cli

import io.jcluster.AdminRequest
import picocli.CommandLine
import picocli.CommandLine.Model.CommandSpec
import picocli.CommandLine.Option
import picocli.CommandLine.ParameterException
import picocli.CommandLine.Parameters
import picocli.CommandLine.ScopeType
import picocli.CommandLine.Spec
import java.nio.file.Path

/**
 * `jcluster`'s command tree for picocli: the global `--socket` (accepted before or after the
 * subcommand, as `--socket PATH` or `--socket=PATH`) and, through the inherited help options,
 * `--help` and `--version` on every subcommand. Parsing only: [Cli.parse] turns the result into a
 * [Command] that [Jcluster] runs, so that the specs can check a parse without a cluster.
 */
@CommandLine.Command(
    name = "jcluster", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true, versionProvider = JarVersion::class,
    description = [
        "Steers a running cluster through its control socket (one that uses Plugins.control()), like pm2 or pumactl.",
        "Without --socket it finds the one running cluster in \$XDG_RUNTIME_DIR/jcluster or /tmp/jcluster-<uid>.",
    ],
    footer = ["", "Exit codes: 0 done, 1 the cluster refused (why is printed), 2 usage, 3 no cluster reached.",
        "Bash completion: source <(jcluster completion). More in docs/operations.md."],
    subcommands = [Status::class, Stats::class, Reload::class, Restart::class, Scale::class, Kill::class, Upgrade::class,
        Logs::class, Top::class, Run::class, Completion::class],
)
internal class Root {
    @Option(names = ["--socket"], paramLabel = "PATH", scope = ScopeType.INHERIT, description = ["the cluster's control socket"])
    var socket: Path? = null
}

/** A subcommand of [Root]: one request to the cluster, or text printed here. */
internal sealed class Subcommand {
    @Spec
    lateinit var spec: CommandSpec

    /** A one-line usage error about this subcommand. */
    fun misuse(message: String): ParameterException = ParameterException(spec.commandLine(), message)
}

/** A subcommand answered by the cluster: its [request], given the command line after `--` ([argv]). */
internal sealed class Remote : Subcommand() {
    /** The request to send; by default the one named as the subcommand, with no argument. */
    open fun request(argv: List<String>?): AdminRequest = AdminRequest(spec.name())

    /** The [Command] to run, aimed at [socket]. */
    open fun command(socket: Path?, argv: List<String>?): Command {
        if (argv != null && this !is Upgrade) throw misuse("only upgrade takes a command line after --")
        return Command(request(argv), socket)
    }
}

/** A subcommand that only prints [text] (no cluster needed). */
internal sealed class Local : Subcommand() {
    abstract fun text(): String
}

@CommandLine.Command(name = "status", description = ["The primary's state and one row per worker (pid, state, uptime, restarts, memory, requests), like pm2 list."])
internal class Status : Remote()

@CommandLine.Command(name = "stats", description = ["The same figures as status, as pretty JSON."])
internal class Stats : Remote()

@CommandLine.Command(name = "reload", description = ["Replaces the workers one by one, each new one ready before the old one goes (zero downtime)."])
internal class Reload : Remote()

@CommandLine.Command(name = "restart", description = ["Replaces every worker with a new process, as many as before."])
internal class Restart : Remote()

@CommandLine.Command(name = "scale", description = ["Grows or shrinks the cluster to N workers."])
internal class Scale : Remote() {
    @Parameters(paramLabel = "N", description = ["the number of workers"])
    var workers: Int = 0

    override fun request(argv: List<String>?) = AdminRequest("scale", workers = workers)
}

@CommandLine.Command(name = "kill", description = ["Kills worker ID (see status); supervision forks a replacement."])
internal class Kill : Remote() {
    @Parameters(paramLabel = "ID", description = ["the worker's id (see status)"])
    var id: Int = 0

    override fun request(argv: List<String>?) = AdminRequest("kill", id = id)
}
