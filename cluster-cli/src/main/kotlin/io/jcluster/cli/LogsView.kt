package io.jcluster.cli

import io.jcluster.AdminRequest
import io.jcluster.OutputLine

/**
 * `jcluster logs [-f] [--lines N] [ID]`, like `pm2 logs`: the workers' recent output lines as the control
 * plugin keeps them, each as `[worker N] text` (`[worker N err] text` from its stderr); with `-f`, new
 * lines as they come, until Ctrl-C or the cluster's exit.
 */
internal class LogsView(private val client: ControlClient, private val out: (String) -> Unit, private val err: (String) -> Unit) {
    /** Returns the exit code: 0, or 1 if the cluster refused (an unknown worker, say). */
    fun run(request: AdminRequest): Int {
        var refused = false
        client.stream(request, FIRST_REPLY_MILLIS) { reply ->
            if (!reply.ok) {
                refused = true
                err("jcluster: ${reply.message}")
            }
            reply.output?.forEach { out(format(it)) }
        }
        if (request.follow == true && !refused) err("jcluster: the cluster closed its control socket")
        return if (refused) 1 else 0
    }

    companion object {
        private const val FIRST_REPLY_MILLIS = 15_000L

        fun format(line: OutputLine): String = "[worker ${line.worker}${if (line.stderr) " err" else ""}] ${line.text}"
    }
}
