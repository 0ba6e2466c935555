package io.jcluster.internal

import java.lang.management.ManagementFactory
import java.nio.file.Path

/**
 * This JVM's own command line, for an upgrade that starts the new primary "the same way": the
 * kernel's record of it (`/proc/self/cmdline` through [ProcessHandle.Info]), which has `-jar` or
 * `-cp` and the main class, and the program's arguments, exactly as given. Where the kernel does
 * not tell (another OS), it is rebuilt from the JVM's input arguments and `sun.java.command`, which
 * loses arguments with spaces in them.
 */
internal object CurrentCommand {
    fun get(): List<String> {
        val info = ProcessHandle.current().info()
        val java = info.command().orElse(null)
        val arguments = info.arguments().orElse(null)
        if (java != null && !arguments.isNullOrEmpty()) return listOf(java) + arguments
        return rebuilt()
    }

    private fun rebuilt(): List<String> {
        val java = Path.of(System.getProperty("java.home"), "bin", "java").toString()
        val jvm = ManagementFactory.getRuntimeMXBean().inputArguments
        val command = System.getProperty("sun.java.command")?.split(' ')?.filter { it.isNotEmpty() }
            ?: throw IllegalStateException("cannot tell how this JVM was started (no sun.java.command): give the upgrade its command line")
        val main = if (command.first().endsWith(".jar")) listOf("-jar") + command else listOf("-cp", System.getProperty("java.class.path")) + command
        return listOf(java) + jvm + main
    }
}
