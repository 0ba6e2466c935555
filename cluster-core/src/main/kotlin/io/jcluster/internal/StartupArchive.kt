package io.jcluster.internal

import java.nio.file.Files
import java.nio.file.Path

/**
 * The kind of archive fast start keeps for a worker's JDK ([SharedArchiveFastStart]): how it is
 * dumped by a training run, checked, and then used.
 */
internal enum class StartupArchive(val fileName: String, val description: String, val learnedFileName: String?) {
    /**
     * JDK 25's AOT cache (JEPs 483, 514, 515): the classes loaded and linked ahead of time, and the
     * training run's method profiles, so a worker also compiles its hot code sooner. One training
     * run makes it (`-XX:AOTCacheOutput`).
     */
    AOT_CACHE("worker.aot", "AOT cache", learnedFileName = null) {
        override fun dumpFlags(partial: Path) = listOf("-XX:AOTCacheOutput=$partial")
        override fun checkFlags(partial: Path) = listOf("-XX:AOTCache=$partial", "-XX:AOTMode=on")
        override fun useFlags(archive: Path) = listOf("-XX:AOTCache=$archive")
    },

    /**
     * A dynamic class-data archive (AppCDS, JDK 13 and later): the classes loaded, parsed ahead of
     * time. A real worker also writes one at its exit ([learnedFileName]): the application's classes
     * and its server's, which the training run never loads.
     */
    CLASS_DATA("worker.jsa", "class-data archive", learnedFileName = "worker-app.jsa") {
        override fun dumpFlags(partial: Path) = listOf("-XX:ArchiveClassesAtExit=$partial")
        override fun checkFlags(partial: Path) = listOf("-XX:SharedArchiveFile=$partial", "-Xshare:on")
        override fun useFlags(archive: Path) = listOf("-XX:SharedArchiveFile=$archive", "-Xshare:auto")
    },
    ;

    /** The flags of the training run (or the worker) that writes the archive to [partial]. */
    abstract fun dumpFlags(partial: Path): List<String>

    /** The flags of a run that fails unless it maps [partial]. */
    abstract fun checkFlags(partial: Path): List<String>

    /** A worker's flags for [archive]; a worker that cannot map it starts without it. */
    abstract fun useFlags(archive: Path): List<String>

    companion object {
        private const val AOT_CACHE_FEATURE = 25
        private val JAVA_VERSION = Regex("""^JAVA_VERSION="(\d+)""", RegexOption.MULTILINE)

        /** The best kind for the JDK of [java] (its `bin/java`), from the JDK's `release` file; class data if unknown. */
        fun of(java: Path): StartupArchive {
            val feature = featureOf(java) ?: return CLASS_DATA
            return if (feature >= AOT_CACHE_FEATURE) AOT_CACHE else CLASS_DATA
        }

        private fun featureOf(java: Path): Int? = runCatching {
            val release = java.toRealPath().parent.parent.resolve("release") // /usr/bin/java is a link into the JDK
            JAVA_VERSION.find(Files.readString(release))?.groupValues?.get(1)?.toInt()
        }.getOrNull()
    }
}
