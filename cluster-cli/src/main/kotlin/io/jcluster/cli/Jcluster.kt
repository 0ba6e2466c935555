package io.jcluster.cli

import io.jcluster.AdminProtocol
import io.jcluster.AdminReply
import io.jcluster.AdminRequest
import io.jcluster.ClusterStats
import kotlinx.serialization.json.Json
import java.nio.file.Path
import kotlin.system.exitProcess

/**
 * `bin/jcluster`: steers a running cluster through its control socket (`Plugins.control()`), the
 * way `pm2` and `pumactl` do. Plain blocking IO and one JSON line each way, so that it starts fast.
 * Exit codes: 0 done, 1 the cluster refused (the reason is printed), 2 usage, 3 no cluster reached.
 */
public object Jcluster {
    internal const val USAGE = "usage: jcluster [--socket PATH] status | stats | reload | restart | scale N | kill ID | upgrade [-- COMMAND…] | logs [-f] [--lines N] [ID] | top [--once]"

    @JvmStatic
    public fun main(args: Array<String>) {
        exitProcess(run(args.toList(), System.out::println, System.err::println))
    }

    /** Runs the command in [args], printing to [out] and [err]; returns the exit code. */
    internal fun run(args: List<String>, out: (String) -> Unit, err: (String) -> Unit): Int {
        val command = try {
            Command.parse(args)
        } catch (e: IllegalArgumentException) {
            err("jcluster: ${e.message}\n$USAGE")
            return USAGE_ERROR
        } ?: return out(USAGE).let { 0 }
        return try {
            val client = ControlClient(command.socket ?: ControlClient.find())
            when (command.name) {
                "logs" -> LogsView(client, out, err).run(command.request)
                "top" -> TopView(client, out).run(command.once)
                else -> show(command, client.call(command.request, command.timeoutMillis), out, err)
            }
        } catch (e: UnreachableException) {
            err("jcluster: ${e.message}")
            UNREACHABLE_EXIT
        }
    }

    private fun show(command: Command, reply: AdminReply, out: (String) -> Unit, err: (String) -> Unit): Int {
        if (!reply.ok) return err("jcluster: ${reply.message}").let { REFUSED }
        val stats = reply.stats
        when {
            command.request.command == "stats" && stats != null -> out(pretty.encodeToString(ClusterStats.serializer(), stats))
            stats != null -> out(StatusTable.render(stats))
            else -> out(reply.message ?: "done")
        }
        return 0
    }

    private val pretty = Json(AdminProtocol.json) { prettyPrint = true }
    private const val REFUSED = 1
    private const val USAGE_ERROR = 2
    /** The exit code when no cluster could be reached. */
    public const val UNREACHABLE_EXIT: Int = 3
}

/** A parsed command line: the [request], and the [socket] if `--socket` named one. */
internal data class Command(val request: AdminRequest, val socket: Path?, val name: String = request.command, val once: Boolean = false) {
    /** How long to wait for the answer: a reload, restart or upgrade waits for every worker to boot. */
    val timeoutMillis: Long get() = if (request.command in setOf("reload", "restart", "upgrade")) 10 * 60_000L else 15_000L

    companion object {
        /** Null for `--help`; throws [IllegalArgumentException] with what is wrong. */
        fun parse(args: List<String>): Command? {
            var socket: Path? = null
            val words = ArrayList<String>()
            var argv: List<String>? = null // after `--`: the new primary's command line, for upgrade
            val rest = args.iterator()
            while (rest.hasNext()) {
                when (val arg = rest.next()) {
                    "-h", "--help" -> return null
                    "--" -> argv = rest.asSequence().toList()
                    "--socket" -> socket = Path.of(if (rest.hasNext()) rest.next() else throw IllegalArgumentException("--socket needs a path"))
                    else -> if (arg.startsWith("--socket=")) socket = Path.of(arg.substringAfter('=')) else words += arg
                }
            }
            require(words.isNotEmpty()) { "no command" }
            val name = words.first()
            fun number(what: String): Int = words.getOrNull(1)?.toIntOrNull() ?: throw IllegalArgumentException("$name needs $what: $name N")
            val request = when (name) {
                "status", "stats", "reload", "restart" -> AdminRequest(name)
                "upgrade" -> AdminRequest(name, argv = argv?.also { require(it.isNotEmpty()) { "upgrade -- needs the new primary's command line after --" } })
                "scale" -> AdminRequest(name, workers = number("a number of workers"))
                "kill" -> AdminRequest(name, id = number("a worker id (see status)"))
                "logs" -> return Command(logs(words.drop(1)), socket).also { require(argv == null) { "only upgrade takes a command line after --" } }
                "top" -> return top(words.drop(1), socket).also { require(argv == null) { "only upgrade takes a command line after --" } }
                else -> throw IllegalArgumentException("unknown command \"$name\"")
            }
            require(argv == null || name == "upgrade") { "only upgrade takes a command line after --" }
            val expected = if (request.workers != null || request.id != null) 2 else 1
            require(words.size == expected) { "too many arguments: ${words.drop(expected).joinToString(" ")}" }
            return Command(request, socket)
        }

        /** `logs [-f|--follow] [-n|--lines N] [ID]`. */
        private fun logs(words: List<String>): AdminRequest {
            var request = AdminRequest("logs")
            val rest = words.iterator()
            fun count(value: String?): Int = value?.toIntOrNull()?.takeIf { it >= 0 } ?: throw IllegalArgumentException("logs --lines needs a number of lines: logs --lines N")
            while (rest.hasNext()) {
                val word = rest.next()
                request = when {
                    word == "-f" || word == "--follow" -> request.copy(follow = true)
                    word == "-n" || word == "--lines" -> request.copy(lines = count(if (rest.hasNext()) rest.next() else null))
                    word.startsWith("--lines=") -> request.copy(lines = count(word.substringAfter('=')))
                    word.toIntOrNull() != null && request.id == null -> request.copy(id = word.toInt())
                    else -> throw IllegalArgumentException("logs takes [-f] [--lines N] [ID], not \"$word\"")
                }
            }
            return request
        }

        /** `top [--once]`. */
        private fun top(words: List<String>, socket: Path?): Command {
            require(words.all { it == "--once" }) { "top takes only --once, not \"${words.first { it != "--once" }}\"" }
            return Command(AdminRequest("stats"), socket, name = "top", once = words.isNotEmpty())
        }
    }
}
