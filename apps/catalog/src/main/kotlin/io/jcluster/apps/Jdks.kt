package io.jcluster.apps

import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.exists
import kotlin.io.path.isDirectory
import kotlin.io.path.listDirectoryEntries
import kotlin.io.path.readLines

/**
 * Finds a `java` of at least a given feature release: this JVM's, then `JAVA<N>_HOME` variables, then
 * the JDKs under /usr/lib/jvm (where Debian and the Temurin packages put them). Helidon 4 needs 21
 * while the build runs on 17.
 */
internal object Jdks {
    fun javaAtLeast(feature: Int): Path? {
        if (Runtime.version().feature() >= feature) return Path.of(System.getProperty("java.home"), "bin", "java")
        return candidates().filter { (releaseOf(it) ?: 0) >= feature }
            .maxByOrNull { releaseOf(it) ?: 0 }
            ?.resolve("bin/java")
    }

    private fun candidates(): List<Path> {
        val fromEnv = System.getenv().filterKeys { Regex("JAVA\\d+_HOME").matches(it) }.values.map { Path.of(it) }
        val jvmDir = Path.of("/usr/lib/jvm")
        val installed = if (jvmDir.isDirectory()) jvmDir.listDirectoryEntries() else emptyList()
        return (fromEnv + installed).filter { it.resolve("bin/java").exists() }
    }

    /** The feature release in a JDK's `release` file (`JAVA_VERSION="25.0.1"`), if it has one. */
    private fun releaseOf(home: Path): Int? {
        val release = home.resolve("release")
        if (!Files.isRegularFile(release)) return null
        val line = release.readLines().firstOrNull { it.startsWith("JAVA_VERSION=") } ?: return null
        return line.substringAfter('"').substringBefore('.').substringBefore('"').toIntOrNull()
    }
}
