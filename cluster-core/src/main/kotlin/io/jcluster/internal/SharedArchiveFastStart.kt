package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterSettings
import java.io.File
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption
import java.nio.file.attribute.FileTime
import java.time.Instant
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean
import java.util.zip.ZipFile
import kotlin.io.path.listDirectoryEntries

private val log = KotlinLogging.logger {}

/**
 * Fast start, managed by the primary alone. Per JDK, classpath and JVM options it keeps, under
 * [cacheRoot]:
 * - junixsocket's native library, extracted once (a worker would otherwise extract it at every start);
 * - an archive of what a worker loads on its way online, made once by a training JVM in the
 *   background ([StartupTraining]) and checked by a JVM that must map it before any worker uses it.
 *   Forks before it is ready simply start without it. Which archive is the worker JDK's best
 *   ([StartupArchive]): JDK 25's AOT cache, else a dynamic class-data archive (AppCDS).
 * - with a class-data archive, one learned from a real worker ([ArchiveLearning]), which replaces the
 *   trained one once in place: a worker of the same build boots on half the CPU. The worker appointed
 *   to learn starts without an archive (JDK 17 dumps on top of the JDK's own archive only).
 *
 * A changed classpath or JDK gives a new key, hence a new archive: a stale one is never used. The key
 * matters most for the AOT cache, which JDK 25.0.3 does not check against changed jars.
 */
internal class SharedArchiveFastStart(private val cacheRoot: Path) : FastStart {
    private val training = ConcurrentHashMap<String, Thread>()
    private val archiveKinds = ConcurrentHashMap<Path, StartupArchive>() // per worker JDK: its release file is read once, not at every fork
    private val learning = ArchiveLearning()
    private val pruned = AtomicBoolean()

    override fun flags(settings: ClusterSettings): List<String> = flags(settings, forFork = true)

    override fun prepare(settings: ClusterSettings) {
        flags(settings, forFork = false)
    }

    /** The flags for a fork; [forFork] false: nothing is forked, only what is slow is started (nobody is appointed a learner). */
    private fun flags(settings: ClusterSettings, forFork: Boolean): List<String> {
        val dir = cacheDirectory(settings) ?: return emptyList()
        val flags = mutableListOf<String>()
        nativeLibrary(dir, settings.classpath)?.let { flags += "-Dorg.newsclub.net.unix.library.override=$it" }
        val libraryFlags = flags.toList()
        val kind = archiveKinds.computeIfAbsent(settings.java, StartupArchive::of)
        sweep(dir, settings, kind, libraryFlags)
        val trained = dir.resolve(kind.fileName).takeIf { Files.isRegularFile(it) }
        val learned = learning.learned(dir, kind)
        if (learned == null && trained == null) startTraining(dir, settings, kind, libraryFlags)
        // Only once a training run has dumped an archive with this JDK and these options can a worker surely start with the dump flag.
        val learnerArchive = if (learned == null && trained != null && forFork) learning.appoint(dir, settings, kind, libraryFlags) else null
        when {
            learned != null -> flags += kind.useFlags(learned)
            learnerArchive != null -> flags += kind.dumpFlags(learnerArchive)
            trained != null -> flags += kind.useFlags(trained)
        }
        return flags
    }

    override fun exited(command: List<String>) = learning.exited(command)

    private fun cacheDirectory(settings: ClusterSettings): Path? = runCatching {
        val key = BuildKey.ofClasspath(settings)
        cacheRoot.resolve(key).also { dir ->
            Files.createDirectories(dir)
            Files.setLastModifiedTime(dir, FileTime.from(Instant.now())) // when this build was last used: see pruneOldBuilds
            if (pruned.compareAndSet(false, true)) pruneOldBuilds()
        }
    }.onFailure { log.warn { "fast start is off: cannot use the cache directory $cacheRoot: $it" } }.getOrNull()

    /**
     * Keeps the directories of the [KEPT_BUILDS] builds (keys) used last, and any used within
     * [KEPT_HOURS], and removes the others, once per primary: every rebuild of an application is a
     * new key, with ~25 MB of archives.
     */
    private fun pruneOldBuilds() {
        // Only build keys: the cache root holds others' directories too (the `jcluster run` launcher's `run-<hash>`).
        val builds = runCatching { cacheRoot.listDirectoryEntries().filter { Files.isDirectory(it) && KEY.matches(it.fileName.toString()) } }.getOrDefault(emptyList())
        val usedAt = builds.associateWith { runCatching { Files.getLastModifiedTime(it).toMillis() }.getOrDefault(0) }
        val recent = System.currentTimeMillis() - TimeUnit.HOURS.toMillis(KEPT_HOURS)
        builds.sortedByDescending { usedAt.getValue(it) }.drop(KEPT_BUILDS).filter { usedAt.getValue(it) < recent }.forEach { old ->
            runCatching { old.toFile().deleteRecursively() }.onSuccess { log.debug { "fast start: removed $old, a build not used lately" } }
        }
    }

    /**
     * Removes the partial files (an archive being trained, a library being copied) of primaries that
     * are gone: one killed with SIGKILL cannot remove its own. Each such name carries its primary's pid.
     * A learned archive's partial is not removed but checked ([ArchiveLearning.adoptLeftBehind]): its
     * worker writes it as it exits, perhaps after its primary.
     */
    private fun sweep(dir: Path, settings: ClusterSettings, kind: StartupArchive, libraryFlags: List<String>) {
        runCatching { dir.listDirectoryEntries("*.tmp*") }.getOrDefault(emptyList()).forEach { file ->
            val pid = PARTIAL.matchEntire(file.fileName.toString())?.groupValues?.get(1)?.toLongOrNull() ?: return@forEach
            when {
                ProcessHandle.of(pid).isPresent -> return@forEach
                learning.isPartial(file, kind) -> learning.adoptLeftBehind(file, settings, kind, libraryFlags)
                else -> runCatching { Files.deleteIfExists(file) }.onSuccess { log.debug { "removed $file, left by pid $pid" } }
            }
        }
    }

    /** junixsocket's library for this OS and CPU, copied out of its jar once. */
    private fun nativeLibrary(dir: Path, classpath: String): Path? {
        val target = dir.resolve("libjunixsocket-native.so")
        if (Files.isRegularFile(target)) return target
        val jar = classpath.split(File.pathSeparator).firstOrNull { "junixsocket-native-common" in it } ?: return null
        val platform = "lib/${System.getProperty("os.arch")}-${System.getProperty("os.name").replace(" ", "")}-"
        return runCatching {
            ZipFile(jar).use { zip ->
                val entry = zip.entries().asSequence().firstOrNull {
                    it.name.startsWith(platform) && it.name.endsWith(".so") && !it.name.endsWith(".nodeps.so")
                } ?: return null
                val partial = Files.createTempFile(dir, "lib.${ProcessHandle.current().pid()}.", ".tmp")
                zip.getInputStream(entry).use { Files.copy(it, partial, StandardCopyOption.REPLACE_EXISTING) }
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE)
                target
            }
        }.onFailure { log.debug { "no extracted junixsocket library for fast start: $it" } }.getOrNull()
    }

    private fun startTraining(dir: Path, settings: ClusterSettings, kind: StartupArchive, flags: List<String>) {
        training.computeIfAbsent(dir.toString()) {
            directoryOnClasspath(settings.classpath)?.let { directory ->
                // The JVM cannot archive classes from directories: say it once and keep the library part.
                log.info { "fast start uses no class-data archive: the classpath holds the directory $directory; package the application as jars" }
                return@computeIfAbsent Thread {}
            }
            Thread({ train(dir, settings, kind, flags) }, "jcluster-fast-start-training").apply { isDaemon = true; start() }
        }
    }

    private fun directoryOnClasspath(classpath: String): String? = classpath.split(File.pathSeparator).firstOrNull { entry ->
        File(entry).let { it.isDirectory && !it.list().isNullOrEmpty() }
    }

    /** Dumps the archive from a training run, checks that a JVM maps it, and only then puts it in place. */
    private fun train(dir: Path, settings: ClusterSettings, kind: StartupArchive, flags: List<String>) {
        val partial = dir.resolve("${kind.fileName}.${ProcessHandle.current().pid()}.tmp")
        val trained = ArchiveJvm.runTraining(settings, flags, kind.dumpFlags(partial))
        val usable = trained && ArchiveJvm.runTraining(settings, flags, kind.checkFlags(partial))
        if (usable) Files.move(partial, dir.resolve(kind.fileName), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING)
        else log.info { "fast start: no ${kind.description} for this JDK and classpath; workers start without one" }
        Files.deleteIfExists(partial)
    }

    companion object {
        private const val KEPT_BUILDS = 8
        private const val KEPT_HOURS = 24L
        private val KEY = Regex("[0-9a-f]{${BuildKey.CHARS}}")
        private val PARTIAL = Regex("""(?:worker\.(?:jsa|aot)|worker-app\.jsa|lib)\.(\d+)\..*tmp(?:\.config)?""")

        /** `$XDG_CACHE_HOME/jcluster`, else `~/.cache/jcluster`. */
        fun defaultCacheRoot(): Path =
            (System.getenv("XDG_CACHE_HOME")?.let { Path.of(it) } ?: Path.of(System.getProperty("user.home"), ".cache")).resolve("jcluster")
    }
}
