package io.jcluster

import java.io.File
import java.nio.file.Path

// Shared with the samples' specs through cluster-core's test-jar.

/** Whether specs can run a process as another user: they run as root and util-linux `setpriv` is there. */
fun canDropPrivileges(): Boolean =
    ProcessHandle.current().info().user().orElse("") == "root" && File("/usr/bin/setpriv").canExecute()

/** The uid and gid of `nobody`, and the command prefix that runs what follows as that user, in place (same pid). */
const val NOBODY = 65534L
val asNobody: List<String> = listOf("setpriv", "--reuid=$NOBODY", "--regid=$NOBODY", "--clear-groups")

/**
 * Copies this JVM's classpath into [scratch] and returns the new one, for a process run as `nobody`
 * (which cannot read /root, where the build's own classpath usually is). `nobody` may enter every
 * directory above [scratch], and read, write and enter [scratch] itself (a primary run as `nobody`
 * keeps its `java.io.tmpdir` there).
 */
fun copyClasspathFor(scratch: Path): String {
    generateSequence(scratch.toAbsolutePath()) { it.parent }.forEach { it.toFile().setExecutable(true, false) }
    scratch.toFile().setReadable(true, false)
    scratch.toFile().setWritable(true, false)
    return System.getProperty("java.class.path").split(File.pathSeparator).filter { it.isNotEmpty() && File(it).exists() }
        .mapIndexed { i, entry ->
            val source = File(entry)
            val target = scratch.resolve("cp$i-${source.name}").toFile()
            source.copyRecursively(target)
            target.walk().forEach { it.setReadable(true, false); if (it.isDirectory) it.setExecutable(true, false) }
            target.path
        }.joinToString(File.pathSeparator)
}
