package io.jcluster.internal

import io.jcluster.ClusterSettings
import io.jcluster.ipc.Ipc
import java.nio.file.Path

/** Turns settings into the command line and environment of one worker. */
internal class WorkerCommands(private val controlSocket: () -> Path, private val fastStart: FastStart?) {
    fun spec(workerId: Int, token: String, settings: ClusterSettings, environment: Map<String, String>): LaunchSpec {
        val command = buildList {
            settings.user?.let { addAll(UserSwitch.prefix(it, settings.group)) }
            add(settings.java.toString())
            addAll(IPC_FLAGS)
            // The archive lives in the primary's user's cache, which another user may not read.
            if (settings.fastStart && fastStart != null && settings.user == null) addAll(fastStart.flags(settings))
            addAll(settings.jvmArgs - IPC_FLAGS.toSet())
            add("-cp")
            add(settings.classpath)
            add(settings.mainClass)
            addAll(settings.args)
        }
        val variables = settings.environment + environment + WorkerEnvironment.variables(workerId, controlSocket(), token)
        return LaunchSpec(workerId, command, variables, settings.workingDirectory, settings.stdio)
    }

    companion object {
        /** What the IPC needs in every worker. */
        val IPC_FLAGS = Ipc.jvmFlags
    }
}
