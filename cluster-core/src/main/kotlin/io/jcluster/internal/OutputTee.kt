package io.jcluster.internal

import io.jcluster.WorkerOutput
import java.util.concurrent.CopyOnWriteArrayList

/**
 * What the primary's loop gives each fork as its output: the one [sink] ([io.jcluster.ManagedCluster.workerOutput],
 * which the logger plugin replaces), then every listener added (the control plugin's buffer of recent
 * lines). Whoever sets the sink, and in whatever order plugins start, the listeners keep their lines;
 * and a sink set later reaches the workers already running too. A listener that throws loses its line
 * alone: the sink has written it already.
 */
internal class OutputTee : WorkerOutput {
    @Volatile var sink: WorkerOutput = WorkerOutput.CONSOLE
    val listeners: MutableList<WorkerOutput> = CopyOnWriteArrayList()

    override fun line(workerId: Int, stream: WorkerOutput.Stream, text: String) {
        sink.line(workerId, stream, text)
        listeners.forEach { runCatching { it.line(workerId, stream, text) } }
    }
}
