package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ExitStatus
import io.jcluster.Supervision
import java.nio.file.Files

private val log = KotlinLogging.logger {}

/**
 * What a worker does on an `OutOfMemoryError`, as [Supervision.exitOnOutOfMemory] and
 * [Supervision.heapDumpDirectory] say, and how its exit is told apart from a crash: HotSpot's
 * `-XX:+ExitOnOutOfMemoryError` exits with [EXIT_CODE] after printing [LAST_WORDS] (on stdout, where
 * its other VM output goes, thread dumps too).
 */
internal object OutOfMemory {
    /** The exit code of `-XX:+ExitOnOutOfMemoryError`. */
    const val EXIT_CODE = 3

    /** The start of HotSpot's last line before it exits out of memory. */
    const val LAST_WORDS = "Terminating due to java.lang.OutOfMemoryError"

    /** The JVM flags for [supervision], less what [jvmArgs] already decide. */
    fun flags(supervision: Supervision, jvmArgs: List<String>): List<String> = buildList {
        if (supervision.exitOnOutOfMemory && jvmArgs.none(::choosesBehaviour)) add("-XX:+ExitOnOutOfMemoryError")
        val dumps = supervision.heapDumpDirectory?.toAbsolutePath() ?: return@buildList
        if (jvmArgs.any { it.contains("HeapDumpOnOutOfMemoryError") || it.startsWith("-XX:HeapDumpPath") }) return@buildList
        // HotSpot writes java_pid<pid>.hprof into HeapDumpPath if it is a directory, else to a file of that name.
        runCatching { Files.createDirectories(dumps) }.onFailure { log.warn { "heapDumpDirectory $dumps cannot be created (${it.message}); heap dumps will fail" } }
        addAll(listOf("-XX:+HeapDumpOnOutOfMemoryError", "-XX:HeapDumpPath=$dumps"))
    }

    /** True for the JVM options that choose what an `OutOfMemoryError` does: the user's choice stands. */
    private fun choosesBehaviour(arg: String): Boolean = arg.startsWith("-XX:") &&
        (arg.contains("ExitOnOutOfMemoryError") || arg.contains("CrashOnOutOfMemoryError") || arg.startsWith("-XX:OnOutOfMemoryError"))

    /** True if [exit], with these first lines of [output], is the JVM's exit out of memory. */
    fun ended(exit: ExitStatus, output: List<String>): Boolean = exit.code == EXIT_CODE && output.any { it.startsWith(LAST_WORDS) }
}
