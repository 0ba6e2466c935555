package io.jcluster.internal

import io.jcluster.ClusterSettings
import java.util.concurrent.TimeUnit

/** The JVMs fast start runs besides the workers: the training run, and the runs that check an archive maps. */
internal object ArchiveJvm {
    private const val TIMEOUT_SECONDS = 60L

    /**
     * Runs [StartupTraining] as a worker of [settings] would start (with [libraryFlags]), plus
     * [archiveFlags]; true if it exits with 0 within [TIMEOUT_SECONDS].
     */
    fun runTraining(settings: ClusterSettings, libraryFlags: List<String>, archiveFlags: List<String>): Boolean = runCatching {
        val command = listOf(settings.java.toString()) + WorkerCommands.IPC_FLAGS + libraryFlags + settings.jvmArgs +
            archiveFlags + listOf("-cp", settings.classpath, StartupTraining::class.java.name)
        val builder = ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        // Not a worker, even where this primary is itself one of another cluster: the training touches `Cluster`.
        builder.environment().keys.removeAll(setOf(WorkerEnvironment.WORKER_ID, WorkerEnvironment.LEARNBOOST_WORKER))
        val process = builder.start()
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) process.destroyForcibly().let { false } else process.exitValue() == 0
    }.getOrDefault(false)
}
