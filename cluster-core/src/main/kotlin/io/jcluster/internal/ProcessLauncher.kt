package io.jcluster.internal

import io.jcluster.WorkerOutput
import io.jcluster.ExitStatus
import io.jcluster.Signal
import io.jcluster.Stdio
import java.nio.file.Path

/** Starts worker processes. An interface so that unit specs can use a fake and virtual time. */
internal interface ProcessLauncher {
    /** Starts the process; throws `IOException` if it cannot be started at all. */
    fun launch(spec: LaunchSpec): LaunchedProcess
}

/** Everything needed to start one worker. */
internal data class LaunchSpec(
    val workerId: Int,
    val command: List<String>,
    val environment: Map<String, String>,
    val workingDirectory: Path?,
    val stdio: Stdio,
    /** Where the lines go under [Stdio.PIPE]. */
    val output: WorkerOutput = WorkerOutput.CONSOLE,
)

/** A started worker process. */
internal interface LaunchedProcess {
    val pid: Long

    /** The real process, where there is one. */
    val handle: ProcessHandle?

    /** Calls [listener] once, on some thread, when the process has exited, with the first lines of its stderr. */
    fun onExit(listener: (ExitStatus, List<String>) -> Unit)

    /** Sends [signal]. Does nothing if the process has already exited. */
    fun signal(signal: Signal)
}
