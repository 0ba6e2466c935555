package io.jcluster

import io.jcluster.internal.ControlMessage
import io.jcluster.internal.LaunchSpec
import io.jcluster.internal.LaunchedProcess
import io.jcluster.internal.ProcessLauncher
import io.jcluster.internal.WorkerLink
import io.jcluster.ipc.Handle

/** A launcher that starts nothing: each "process" exits when a spec says so, and records the signals it got. */
internal class FakeLauncher : ProcessLauncher {
    val launched = mutableListOf<FakeProcess>()
    var failNext: Exception? = null

    override fun launch(spec: LaunchSpec): LaunchedProcess {
        failNext?.let { failNext = null; throw it }
        return FakeProcess(1000L + launched.size, spec).also { launched += it }
    }
}

internal class FakeProcess(override val pid: Long, val spec: LaunchSpec) : LaunchedProcess {
    val signals = mutableListOf<Signal>()
    private var listener: ((ExitStatus, List<String>) -> Unit)? = null
    override val handle: ProcessHandle? = null
    val token: String get() = spec.environment.getValue("JCLUSTER_TOKEN")

    override fun onExit(listener: (ExitStatus, List<String>) -> Unit) {
        this.listener = listener
    }

    override fun signal(signal: Signal) {
        signals += signal
    }

    fun exit(status: ExitStatus, stderr: List<String> = emptyList()) = listener!!(status, stderr)
}

/** A worker's control line that only records what the primary sent, and whether it was closed. */
internal class FakeLink : WorkerLink {
    val control = mutableListOf<ControlMessage.ToWorker>()
    val user = mutableListOf<Any>()
    var closed = false

    override suspend fun sendControl(message: ControlMessage.ToWorker) {
        control += message
    }

    override suspend fun sendUser(message: Any, handle: Handle?) {
        user += message
    }

    override suspend fun openPipe(name: String, end: Handle) = end.close()

    /**
     * What the fake worker does with each connection handed to it, which it owns: by default it takes
     * it (closes it) and never acknowledges it. Specs answer through the handle, as the primary's loop does.
     */
    @Volatile var onHandoff: (lease: Int, connection: Handle, refusedBy: List<Int>) -> Unit = { _, connection, _ -> connection.close() }
    val handedOff: MutableList<Int> = java.util.Collections.synchronizedList(mutableListOf())

    override suspend fun handoff(lease: Int, connection: Handle, refusedBy: List<Int>) {
        handedOff += lease
        onHandoff(lease, connection, refusedBy)
    }

    override fun close() {
        closed = true
    }
}
