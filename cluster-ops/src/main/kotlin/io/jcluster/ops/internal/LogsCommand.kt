package io.jcluster.ops.internal

import io.jcluster.AdminReply
import io.jcluster.AdminRequest
import io.jcluster.ManagedCluster

/**
 * The control socket's `logs`: the last [AdminRequest.lines] lines (default [DEFAULT_LINES]) of worker
 * [AdminRequest.id] or of all, from [recent]; with [AdminRequest.follow], then each new line as it
 * comes, and an empty reply after each quiet second, whose failed write tells that the client left.
 */
internal class LogsCommand(private val cluster: ManagedCluster, private val recent: RecentOutput) {
    fun run(request: AdminRequest, send: (AdminReply) -> Unit) {
        val id = request.id
        val known = cluster.primary.workers.value.keys + recent.workers()
        if (id != null && id !in known) {
            return send(AdminReply(false, "no worker $id; the workers with output are ${known.sorted()}"))
        }
        val count = request.lines ?: DEFAULT_LINES
        if (count < 0) return send(AdminReply(false, "logs --lines $count: give 0 or more lines"))
        var (lines, cursor) = recent.tail(id, count)
        send(AdminReply(true, output = lines))
        while (request.follow == true) {
            val (more, next) = recent.after(id, cursor, QUIET_MILLIS)
            cursor = next
            send(AdminReply(true, output = more))
        }
    }

    private companion object {
        const val DEFAULT_LINES = 50
        const val QUIET_MILLIS = 1000L
    }
}
