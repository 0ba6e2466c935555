package io.jcluster.cli

import io.jcluster.AdminProtocol
import io.jcluster.AdminReply
import io.jcluster.AdminRequest
import io.jcluster.ClusterStats
import kotlinx.serialization.json.Json
import picocli.CommandLine.ParameterException
import kotlin.system.exitProcess

/**
 * `bin/jcluster`: steers a running cluster through its control socket (`Plugins.control()`), the
 * way `pm2` and `pumactl` do. Plain blocking IO and one JSON line each way, so that it starts fast.
 * Exit codes: 0 done, 1 the cluster refused (the reason is printed), 2 usage, 3 no cluster reached.
 * The command line is picocli's ([Cli]): `--help` per command, one-line errors, bash completion.
 */
public object Jcluster {
    @JvmStatic
    public fun main(args: Array<String>) {
        exitProcess(run(args.toList(), System.out::println, System.err::println))
    }

    /** Runs the command in [args], printing to [out] and [err]; returns the exit code. */
    internal fun run(args: List<String>, out: (String) -> Unit, err: (String) -> Unit): Int {
        val invocation = try {
            Cli.parse(args)
        } catch (e: ParameterException) {
            err(Cli.error(e))
            return USAGE_ERROR
        }
        val command = when (invocation) {
            is Printed -> return out(invocation.text).let { 0 }
            is Command -> invocation
        }
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
