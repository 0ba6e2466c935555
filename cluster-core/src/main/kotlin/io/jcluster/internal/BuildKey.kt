package io.jcluster.internal

import io.jcluster.ClusterSettings
import java.io.File
import java.nio.file.Files
import java.security.MessageDigest
import java.util.HexFormat
import kotlin.io.path.isRegularFile
import kotlin.streams.asSequence

/**
 * Which build a worker runs, as a short hex key: the worker JDK, the JVM options, and each file of
 * its code with its size and modification time. Two workers started under the same key ran the same
 * bytes. Reading it costs a `stat` per file, not a read.
 */
internal object BuildKey {
    const val CHARS = 24

    /** Beyond this many files in the classpath's directories the code is not fingerprinted: a walk that long would stall the loop. */
    private const val MAX_DIRECTORY_FILES = 20_000

    /** The key of the JDK, the JVM options and the classpath entries themselves (a directory by its own time): fast start's cache key. */
    fun ofClasspath(settings: ClusterSettings): String = digest { add ->
        add(settings.java.toString())
        add(System.getProperty("java.vm.version"))
        settings.classpath.split(File.pathSeparator).forEach { entry -> File(entry).let { add("$entry ${it.length()} ${it.lastModified()}") } }
        settings.jvmArgs.forEach(add)
    }

    /**
     * The key of the code workers would run if started now: [ofClasspath] with every file under the
     * classpath's directories, and the jars and classpath `javaArgs` name (`-jar`, `-cp`). Null when it
     * cannot be told (a directory too large to walk, one that cannot be read).
     */
    fun ofCode(settings: ClusterSettings): String? = runCatching {
        digest { add ->
            add(ofClasspath(settings)) // the classpath's jars are in it already
            settings.classpath.split(File.pathSeparator).map(::File).filter { it.isDirectory }.forEach { addDirectory(it, add) }
            for (entry in entriesNamedByJavaArgs(settings)) {
                val file = File(entry)
                if (file.isDirectory) addDirectory(file, add) else add("$entry ${file.length()} ${file.lastModified()}")
            }
        }
    }.getOrNull()

    private fun entriesNamedByJavaArgs(settings: ClusterSettings): List<String> =
        settings.javaArgs.orEmpty().zipWithNext().filter { (flag, _) -> flag in CODE_FLAGS }
            .flatMap { (_, value) -> value.split(File.pathSeparator) }.filter { it.isNotEmpty() }

    private fun addDirectory(directory: File, add: (String) -> Unit) {
        val files = Files.walk(directory.toPath()).use { paths -> paths.asSequence().filter { it.isRegularFile() }.take(MAX_DIRECTORY_FILES + 1).toList() }
        check(files.size <= MAX_DIRECTORY_FILES) { "more than $MAX_DIRECTORY_FILES files under $directory" }
        files.sorted().forEach { add("$it ${Files.size(it)} ${Files.getLastModifiedTime(it).toMillis()}") }
    }

    private fun digest(fill: ((String) -> Unit) -> Unit): String {
        val digest = MessageDigest.getInstance("SHA-256")
        fill { text -> digest.update((text + "\n").toByteArray()) }
        return HexFormat.of().formatHex(digest.digest()).take(CHARS)
    }

    private val CODE_FLAGS = setOf("-jar", "-cp", "-classpath", "--class-path")
}
