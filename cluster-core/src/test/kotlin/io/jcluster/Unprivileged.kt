package io.jcluster

import java.io.File
import java.nio.file.Path

/** Whether specs can run a process as another user: they run as root and util-linux `setpriv` is there. */
fun canDropPrivileges(): Boolean =
    ProcessHandle.current().info().user().orElse("") == "root" && File("/usr/bin/setpriv").canExecute()

/** The uid and gid of `nobody`, and the command prefix that runs what follows as that user, in place (same pid). */
const val NOBODY = 65534L
val asNobody: List<String> = listOf("setpriv", "--reuid=$NOBODY", "--regid=$NOBODY", "--clear-groups")

/** Copies this JVM's classpath into [scratch] (which `nobody` can read; /root cannot be) and returns the new one. */
fun copyClasspathFor(scratch: Path): String {
    scratch.toFile().setReadable(true, false)
    scratch.toFile().setExecutable(true, false)
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
