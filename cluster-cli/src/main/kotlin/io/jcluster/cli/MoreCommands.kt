package io.jcluster.cli

import io.jcluster.AdminRequest
import picocli.AutoComplete
import picocli.CommandLine
import picocli.CommandLine.IVersionProvider
import picocli.CommandLine.Option
import picocli.CommandLine.Parameters
import picocli.CommandLine.Unmatched
import java.nio.file.Path

@CommandLine.Command(
    name = "upgrade", customSynopsis = ["jcluster upgrade [-hV] [--socket=PATH] [-- COMMAND...]"],
    description = [
        "Replaces the primary itself, no connection lost: a new primary (same command line, or COMMAND after --) takes over the sockets; the old one exits once its workers are done.",
    ],
)
internal class Upgrade : Remote() {
    override fun request(argv: List<String>?): AdminRequest {
        if (argv != null && argv.isEmpty()) throw misuse("upgrade -- needs the new primary's command line after --")
        return AdminRequest("upgrade", argv = argv)
    }
}

@CommandLine.Command(name = "logs", description = ["The workers' recent output, each line as [worker N] text, like pm2 logs."])
internal class Logs : Remote() {
    @Option(names = ["-f", "--follow"], description = ["then print new lines as they come, until Ctrl-C"])
    var follow: Boolean = false

    @Option(names = ["-n", "--lines"], paramLabel = "N", description = ["how many recent lines (50 if not given)"])
    var lines: Int? = null

    @Parameters(paramLabel = "ID", arity = "0..1", description = ["only this worker's lines"])
    var id: Int? = null

    override fun request(argv: List<String>?): AdminRequest {
        lines?.let { if (it < 0) throw misuse("--lines needs a number of lines, 0 or more, not $it") }
        return AdminRequest("logs", id = id, lines = lines, follow = follow.takeIf { it })
    }
}

@CommandLine.Command(name = "top", description = ["Totals and a row per worker (CPU, memory, req/s, restarts), redrawn each second until q, like pm2 monit."])
internal class Top : Remote() {
    @Option(names = ["--once"], description = ["print one table and exit (also when not on a terminal)"])
    var once: Boolean = false

    override fun request(argv: List<String>?) = AdminRequest("stats")

    override fun command(socket: Path?, argv: List<String>?): Command =
        super.command(socket, argv).copy(name = "top", once = once)
}

/** Listed so that the help shows it: `bin/jcluster run` starts cluster-run's own launcher before this jar. */
@CommandLine.Command(name = "run", description = ["Clusters an unmodified app: bin/jcluster run [OPTIONS] -- JAVA_ARGS... (docs/run.md)."])
internal class Run : Local() {
    @Unmatched
    var rest: MutableList<String> = ArrayList()

    override fun text(): String = throw misuse("run is handled by the bin/jcluster script (cluster-run's launcher): bin/jcluster run --help")
}

@CommandLine.Command(name = "completion", description = ["Prints a bash completion script: source <(jcluster completion)"])
internal class Completion : Local() {
    override fun text(): String = AutoComplete.bash(spec.root().name(), spec.root().commandLine()).trimEnd()
}

/** The version in the jar (the project's, written into version.txt by the build). */
internal class JarVersion : IVersionProvider {
    override fun getVersion(): Array<String> = arrayOf("jcluster $number")

    companion object {
        val number: String get() =
            JarVersion::class.java.getResource("version.txt")?.readText()?.trim() ?: "unknown"
    }
}
