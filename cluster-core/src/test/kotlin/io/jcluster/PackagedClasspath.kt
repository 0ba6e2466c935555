package io.jcluster

import java.io.File
import java.nio.file.Files
import java.nio.file.Path
import java.util.jar.JarEntry
import java.util.jar.JarOutputStream

/**
 * This JVM's classpath as a deployed application has it: each directory (target/classes,
 * target/test-classes) packed into a jar under [into], the jars as they are.
 */
fun packagedClasspath(into: Path): String = System.getProperty("java.class.path").split(File.pathSeparator)
    .filterNot { it.endsWith(".pom") }
    .mapIndexed { index, entry -> if (File(entry).isDirectory) jar(Path.of(entry), into.resolve("dir$index.jar")).toString() else entry }
    .joinToString(File.pathSeparator)

private fun jar(directory: Path, target: Path): Path {
    JarOutputStream(Files.newOutputStream(target)).use { out ->
        Files.walk(directory).use { paths ->
            paths.filter { Files.isRegularFile(it) }.forEach { file ->
                out.putNextEntry(JarEntry(directory.relativize(file).toString().replace(File.separatorChar, '/')))
                Files.copy(file, out)
                out.closeEntry()
            }
        }
    }
    return target
}
