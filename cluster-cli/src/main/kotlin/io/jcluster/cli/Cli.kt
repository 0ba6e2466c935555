package io.jcluster.cli

import io.jcluster.AdminRequest
import picocli.CommandLine
import picocli.CommandLine.ParameterException
import picocli.CommandLine.ParseResult
import picocli.CommandLine.UnmatchedArgumentException
import java.nio.file.Path

/** What a command line asks for: text to print here ([Printed]), or a [Command] for the cluster. */
internal sealed interface Invocation

/** Help, the version or the completion script: printed, exit 0. */
internal data class Printed(val text: String) : Invocation

/** A parsed command line: the [request], and the [socket] if `--socket` named one. */
internal data class Command(val request: AdminRequest, val socket: Path?, val name: String = request.command, val once: Boolean = false) : Invocation {
    /** How long to wait for the answer: a reload, restart or upgrade waits for every worker to boot. */
    val timeoutMillis: Long get() = if (request.command in setOf("reload", "restart", "upgrade")) 10 * 60_000L else 15_000L

    companion object {
        /** The cluster command in [args]; throws [ParameterException] with what is wrong (or for help). */
        fun parse(args: List<String>): Command = Cli.parse(args) as? Command ?: throw IllegalArgumentException("not a cluster command: $args")
    }
}

/** The command line through picocli ([Root] and its subcommands). */
internal object Cli {
    /**
     * Parses [args]; throws [ParameterException] with a one-line message for a misuse. Everything after
     * the first `--` is upgrade's command line, taken aside before picocli so that `upgrade --` (empty)
     * and `reload -- x` can be refused, as they were before picocli.
     */
    fun parse(args: List<String>): Invocation {
        val dashes = args.indexOf("--")
        val argv = if (dashes < 0) null else args.drop(dashes + 1)
        val root = Root()
        val line = CommandLine(root)
        val parsed = line.parseArgs(*(if (dashes < 0) args else args.take(dashes)).toTypedArray())
        help(parsed)?.let { return it }
        val sub = parsed.subcommand() ?: throw ParameterException(line, "no command")
        return when (val action = sub.commandSpec().userObject() as Subcommand) {
            is Remote -> action.command(root.socket, argv)
            is Local -> if (argv != null) throw action.misuse("only upgrade takes a command line after --") else Printed(action.text())
        }
    }

    /** The usage or version text if `--help` or `--version` was given, at any level. */
    private fun help(parsed: ParseResult): Printed? {
        var level: ParseResult? = parsed
        while (level != null) {
            if (level.isUsageHelpRequested) return Printed(level.commandSpec().commandLine().usageMessage.trimEnd())
            if (level.isVersionHelpRequested) return Printed(level.commandSpec().version().joinToString("\n"))
            level = level.subcommand()
        }
        return null
    }

    /** One line for a misuse: what is wrong, a suggestion if picocli has one, and where the help is. */
    fun error(e: ParameterException): String {
        val command = e.commandLine.commandSpec
        val unknown = (e as? UnmatchedArgumentException)?.unmatched?.firstOrNull()
        val what = if (unknown != null && command.parent() == null && !unknown.startsWith("-")) "unknown command \"$unknown\"" else e.message
        val suggestions = (e as? UnmatchedArgumentException)?.suggestions.orEmpty()
        val hint = if (suggestions.isEmpty()) "" else "; did you mean ${suggestions.joinToString(" or ")}?"
        return "jcluster: $what$hint (see ${command.qualifiedName()} --help)"
    }
}
