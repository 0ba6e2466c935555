package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterSettings
import io.jcluster.DebugPorts
import io.jcluster.ipc.Ipc
import java.nio.file.Path

private val log = KotlinLogging.logger {}

/** Turns settings into the command line and environment of one worker. */
internal class WorkerCommands(private val controlSocket: () -> Path, private val fastStart: FastStart?) {
    fun spec(workerId: Int, token: String, settings: ClusterSettings, environment: Map<String, String>): LaunchSpec {
        val userOptions = UserJvmOptions.of(settings)
        val command = buildList {
            settings.user?.let { addAll(UserSwitch.prefix(it, settings.group)) }
            add(settings.java.toString())
            addAll(IPC_FLAGS)
            // The archive lives in the primary's user's cache, which another user may not read.
            if (settings.fastStart && fastStart != null && settings.user == null && settings.javaArgs == null) addAll(fastStart.flags(settings))
            addAll(OutOfMemory.flags(settings.supervision, userOptions))
            addAll(settings.jvmArgs - IPC_FLAGS.toSet())
            settings.processorsPerWorker?.let { addAll(ProcessorShare.flags(it, userOptions)) }
            settings.processorsPerWorker?.let { addAll(MemoryShare.flags(it, settings.supervision.standby, userOptions)) }
            settings.debugPorts?.let { addAll(debugFlags(workerId, it)) }
            settings.javaArgs?.let(::addAll) ?: addAll(listOf("-cp", settings.classpath, settings.mainClass) + settings.args)
        }
        val variables = quietLogging() + settings.environment + environment + WorkerEnvironment.variables(workerId, controlSocket(), token)
        return LaunchSpec(workerId, command, variables, settings.workingDirectory, settings.stdio)
    }

    /** Called once the process of [spec] has exited: fast start may take what it left behind. */
    fun exited(spec: LaunchSpec) {
        fastStart?.exited(spec.command)
    }

    /**
     * kotlin-logging prints a banner on stdout as each JVM starts ("kotlin-logging: initializing..."),
     * which in a worker lands among the app's own output: off, unless the primary's environment says.
     */
    private fun quietLogging(): Map<String, String> =
        if (System.getenv(LOGGING_BANNER) != null) emptyMap() else mapOf(LOGGING_BANNER to "false")

    /** [ports]' agents for worker [workerId], and a line saying where they listen (JMX prints none of its own). */
    private fun debugFlags(workerId: Int, ports: DebugPorts): List<String> {
        val jdwp = ports.jdwpPort(workerId)
        val jmx = ports.jmxPort(workerId)
        val where = listOfNotNull(jdwp?.let { "JDWP on ${ports.host}:$it" }, jmx?.let { "JMX on ${ports.host}:$it" })
        if (where.isNotEmpty()) log.info { "worker $workerId: ${where.joinToString()}" }
        if ((ports.jdwpBase != null && jdwp == null) || (ports.jmxBase != null && jmx == null)) {
            log.warn { "worker $workerId starts without a debug agent: its port would be past 65535 (lower DebugPorts' bases)" }
        }
        return ports.jvmFlags(workerId)
    }

    companion object {
        /** What the IPC needs in every worker. */
        val IPC_FLAGS = Ipc.jvmFlags

        /** kotlin-logging's switch for its start-up banner, read from the environment. */
        private const val LOGGING_BANNER = "KOTLIN_LOGGING_STARTUP_MESSAGE"
    }
}
