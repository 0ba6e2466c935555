package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterSettings
import java.io.File
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption
import java.nio.file.attribute.FileTime
import java.security.MessageDigest
import java.time.Instant
import java.util.HexFormat
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicInteger
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
 * - with a class-data archive, one learned from a real worker: the first fork that finds none, once
 *   the trained one is in place (proof that this JDK and these options can dump), is appointed to
 *   write one when it exits (a reload, a recycle, the cluster's stop), holding what it loaded in its
 *   life, the application's server included. Checked like the trained one, it then replaces it for
 *   later forks: a worker of the same build boots on half the CPU. The appointed worker itself starts
 *   without an archive (JDK 17 dumps on top of the JDK's own archive only).
 *
 * A changed classpath or JDK gives a new key, hence a new archive: a stale one is never used. The key
 * matters most for the AOT cache, which JDK 25.0.3 does not check against changed jars.
 */
internal class SharedArchiveFastStart(private val cacheRoot: Path) : FastStart {
    private val training = ConcurrentHashMap<String, Thread>()
    private val archiveKinds = ConcurrentHashMap<Path, StartupArchive>() // per worker JDK: its release file is read once, not at every fork
    private val learners = ConcurrentHashMap<Path, Learner>() // per cache directory: the worker appointed to write the learned archive
    private val adopting = ConcurrentHashMap.newKeySet<Path>() // partial learned archives being checked
    private val learnerCount = AtomicInteger()
    private val pruned = AtomicBoolean()

    /** The worker appointed to write [partial] at its exit, and how to check that archive then. */
    private class Learner(val dir: Path, val partial: Path, val settings: ClusterSettings, val kind: StartupArchive, val libraryFlags: List<String>)

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
        adoptLeftBehind(dir, settings, kind, libraryFlags)
        val trained = dir.resolve(kind.fileName)
        val learned = kind.learnedFileName?.let(dir::resolve)?.takeIf { Files.isRegularFile(it) }
        if (learned == null && !Files.isRegularFile(trained)) startTraining(dir, settings, kind, libraryFlags)
        // Only once a training run has dumped an archive with this JDK and these options can a worker surely start with the dump flag.
        val learner = if (learned == null && forFork && Files.isRegularFile(trained)) appointLearner(dir, settings, kind, libraryFlags) else null
        when {
            learned != null -> flags += kind.useFlags(learned)
            learner != null -> flags += kind.dumpFlags(learner.partial)
            Files.isRegularFile(trained) -> flags += kind.useFlags(trained)
        }
        return flags
    }

    override fun exited(command: List<String>) {
        val learner = learners.values.firstOrNull { learner -> learner.kind.dumpFlags(learner.partial).all { it in command } } ?: return
        // The appointment stays: a learner that left nothing usable (killed, say) costs later forks nothing; the next primary tries again.
        adoptInBackground(learner.dir, learner.partial, learner.settings, learner.kind, learner.libraryFlags)
    }

    /**
     * The learner for the fork about to start, unless the JDK cannot learn, this primary has appointed
     * one already (one per build), an archive a worker left is being checked, or no archive can be made.
     */
    private fun appointLearner(dir: Path, settings: ClusterSettings, kind: StartupArchive, libraryFlags: List<String>): Learner? {
        val fileName = kind.learnedFileName ?: return null
        if (learners.containsKey(dir) || adopting.any { it.parent == dir } || directoryOnClasspath(settings.classpath) != null) return null
        val partial = dir.resolve("$fileName.${ProcessHandle.current().pid()}.${learnerCount.incrementAndGet()}.tmp")
        val learner = Learner(dir, partial, settings, kind, libraryFlags)
        return learner.takeIf { learners.putIfAbsent(dir, it) == null }
    }

    /**
     * Checks, on a thread of its own, the learned archive a worker wrote at [partial]; puts it in place
     * if a JVM maps it, and removes [partial]. Nothing if [partial] is already being checked.
     */
    private fun adoptInBackground(dir: Path, partial: Path, settings: ClusterSettings, kind: StartupArchive, libraryFlags: List<String>) {
        if (!adopting.add(partial)) return
        Thread({
            try {
                adopt(dir, partial, settings, kind, libraryFlags)
            } finally {
                runCatching { Files.deleteIfExists(partial) }
                adopting.remove(partial)
            }
        }, "jcluster-fast-start-learn").apply { isDaemon = true; start() }
    }

    private fun adopt(dir: Path, partial: Path, settings: ClusterSettings, kind: StartupArchive, libraryFlags: List<String>) {
        if (!Files.isRegularFile(partial)) return
        val learned = dir.resolve(kind.learnedFileName ?: return)
        if (run(commonCommand(settings, libraryFlags) + kind.checkFlags(partial) + StartupTraining::class.java.name)) {
            Files.move(partial, learned, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING)
            log.debug { "fast start: later workers start from $learned, learned from a worker" }
        } else {
            log.info { "fast start: the ${kind.description} a worker left at its exit does not load; workers go on with the trained one" }
        }
    }

    /** Learned archives that workers of primaries now gone wrote at their exit (at the cluster's stop, say): checked in the background, kept if usable. */
    private fun adoptLeftBehind(dir: Path, settings: ClusterSettings, kind: StartupArchive, libraryFlags: List<String>) {
        val fileName = kind.learnedFileName ?: return
        runCatching { dir.listDirectoryEntries("$fileName.*.tmp") }.getOrDefault(emptyList()).forEach { partial ->
            val pid = WRITER_PID.find(partial.fileName.toString().removePrefix(fileName))?.groupValues?.get(1)?.toLongOrNull() ?: return@forEach
            if (ProcessHandle.of(pid).isEmpty) adoptInBackground(dir, partial, settings, kind, libraryFlags)
        }
    }

    private fun cacheDirectory(settings: ClusterSettings): Path? = runCatching {
        val key = keyOf(settings)
        cacheRoot.resolve(key).also { dir ->
            Files.createDirectories(dir)
            Files.setLastModifiedTime(dir, FileTime.from(Instant.now())) // when this build was last used: see pruneOldBuilds
            if (pruned.compareAndSet(false, true)) pruneOldBuilds()
            sweep(dir)
        }
    }.onFailure { log.warn { "fast start is off: cannot use the cache directory $cacheRoot: $it" } }.getOrNull()

    /**
     * Keeps the directories of the [KEPT_BUILDS] builds (keys) used last, and any used within
     * [KEPT_HOURS], and removes the others, once per primary: every rebuild of an application is a
     * new key, with ~25 MB of archives.
     */
    private fun pruneOldBuilds() {
        val builds = runCatching { cacheRoot.listDirectoryEntries().filter { Files.isDirectory(it) } }.getOrDefault(emptyList())
        val usedAt = builds.associateWith { runCatching { Files.getLastModifiedTime(it).toMillis() }.getOrDefault(0) }
        val recent = System.currentTimeMillis() - TimeUnit.HOURS.toMillis(KEPT_HOURS)
        builds.sortedByDescending { usedAt.getValue(it) }.drop(KEPT_BUILDS).filter { usedAt.getValue(it) < recent }.forEach { old ->
            runCatching { old.toFile().deleteRecursively() }.onSuccess { log.debug { "fast start: removed $old, a build not used lately" } }
        }
    }

    /**
     * Removes the partial files (an archive being trained, a library being copied) of primaries that
     * are gone: one killed with SIGKILL cannot remove its own. Each such name carries its writer's pid.
     * A learned archive's partial is not among them: its worker writes it as it exits, perhaps after
     * its primary, and [adoptLeftBehind] checks it.
     */
    private fun sweep(dir: Path) {
        runCatching { dir.listDirectoryEntries("*.tmp*") }.getOrDefault(emptyList()).forEach { file ->
            val pid = PARTIAL.matchEntire(file.fileName.toString())?.groupValues?.get(1)?.toLongOrNull() ?: return@forEach
            if (ProcessHandle.of(pid).isEmpty) runCatching { Files.deleteIfExists(file) }.onSuccess { log.debug { "removed $file, left by pid $pid" } }
        }
    }

    /** Same JDK, same classpath (each entry with its size and time), same JVM options: same key. */
    private fun keyOf(settings: ClusterSettings): String {
        val digest = MessageDigest.getInstance("SHA-256")
        fun add(text: String) = digest.update((text + "\n").toByteArray())
        add(settings.java.toString())
        add(System.getProperty("java.vm.version"))
        settings.classpath.split(File.pathSeparator).forEach { entry -> File(entry).let { add("$entry ${it.length()} ${it.lastModified()}") } }
        settings.jvmArgs.forEach(::add)
        return HexFormat.of().formatHex(digest.digest()).take(KEY_CHARS)
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
        val common = commonCommand(settings, flags)
        val trained = run(common + kind.dumpFlags(partial) + StartupTraining::class.java.name)
        val usable = trained && run(common + kind.checkFlags(partial) + StartupTraining::class.java.name)
        if (usable) Files.move(partial, dir.resolve(kind.fileName), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING)
        else log.info { "fast start: no ${kind.description} for this JDK and classpath; workers start without one" }
        Files.deleteIfExists(partial)
    }

    /** A training or checking JVM's command up to its archive flags: a worker's, with the training `main`'s classpath. */
    private fun commonCommand(settings: ClusterSettings, libraryFlags: List<String>): List<String> =
        listOf(settings.java.toString()) + WorkerCommands.IPC_FLAGS + libraryFlags + settings.jvmArgs + listOf("-cp", settings.classpath)

    private fun run(command: List<String>): Boolean = runCatching {
        val process = ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
        if (!process.waitFor(TRAINING_SECONDS, TimeUnit.SECONDS)) process.destroyForcibly().let { false } else process.exitValue() == 0
    }.getOrDefault(false)

    companion object {
        private const val KEY_CHARS = 24
        private const val KEPT_BUILDS = 8
        private const val KEPT_HOURS = 24L
        private const val TRAINING_SECONDS = 60L
        private val WRITER_PID = Regex("""^\.(\d+)\.""") // worker-app.jsa.<primary pid>.<n>.tmp
        private val PARTIAL = Regex("""(?:worker\.(?:jsa|aot)|lib)\.(\d+)\..*tmp(?:\.config)?""")

        /** `$XDG_CACHE_HOME/jcluster`, else `~/.cache/jcluster`. */
        fun defaultCacheRoot(): Path =
            (System.getenv("XDG_CACHE_HOME")?.let { Path.of(it) } ?: Path.of(System.getProperty("user.home"), ".cache")).resolve("jcluster")
    }
}
