package io.jcluster.bench

import io.jcluster.ipc.Ipc
import java.nio.file.Path

/** Starts a JVM like this one (same java, classpath and IPC flags) running [mainClass]. */
object ChildJvm {
    private val javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString()

    fun start(mainClass: String, vararg args: String): Process =
        ProcessBuilder(listOf(javaBin, *Ipc.jvmFlags.toTypedArray(),
            *(System.getenv("CHILD_JVM_OPTS")?.split(" ")?.filter { it.isNotBlank() }?.toTypedArray() ?: emptyArray()),
            "-cp", System.getProperty("java.class.path"), mainClass) + args)
            .inheritIO().start()
}
