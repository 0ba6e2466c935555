package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterSettings
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger

private val log = KotlinLogging.logger {}

/**
 * Fast start's archive learned from a real worker ([StartupArchive.learnedFileName]), per cache
 * directory (one build): one fork is appointed to write it when it exits (a reload, a recycle, the
 * cluster's stop), holding everything it loaded in its life, the application's server included;
 * checked like the trained one, it then serves later forks. [SharedArchiveFastStart] appoints a
 * learner only once the trained archive is in place: proof that this JDK and these options can dump
 * (a JVM without the JDK's base archive, `-Xshare:off` say, would refuse to start with the flag).
 * One learner per primary and build: one that left nothing usable (killed, say) is not replaced,
 * and the next primary tries again.
 */
internal class ArchiveLearning {
    /** The archive a worker writes at [partial] as it exits (in its build's cache directory), and how to check it then. */
    private class Learner(val partial: Path, val settings: ClusterSettings, val kind: StartupArchive, val libraryFlags: List<String>) {
        val dir: Path get() = partial.parent
    }

    private val learners = ConcurrentHashMap<Path, Learner>() // per cache directory
    private val adopting = ConcurrentHashMap.newKeySet<Path>() // partial archives being checked
    private val count = AtomicInteger()

    /** The learned archive in [dir], if one is in place. */
    fun learned(dir: Path, kind: StartupArchive): Path? = kind.learnedFileName?.let(dir::resolve)?.takeIf { Files.isRegularFile(it) }

    /**
     * The partial archive the fork about to start is to write at its exit, or null: the JDK does not
     * learn, this primary has appointed one already, or an archive a worker left is being checked.
     */
    fun appoint(dir: Path, settings: ClusterSettings, kind: StartupArchive, libraryFlags: List<String>): Path? {
        val fileName = kind.learnedFileName ?: return null
        if (learners.containsKey(dir) || adopting.any { it.parent == dir }) return null
        val learner = Learner(dir.resolve("$fileName.${ProcessHandle.current().pid()}.${count.incrementAndGet()}.tmp"), settings, kind, libraryFlags)
        return learner.partial.takeIf { learners.putIfAbsent(dir, learner) == null }
    }

    /** A worker started with [command] has exited: if it was a learner, its archive is checked and put in place. */
    fun exited(command: List<String>) {
        learners.values.firstOrNull { learner -> learner.kind.dumpFlags(learner.partial).all { it in command } }?.let(::adoptInBackground)
    }

    /** Whether [file] is a learned archive being written, or left by a worker: `<learnedFileName>.<primary pid>.<n>.tmp`. */
    fun isPartial(file: Path, kind: StartupArchive): Boolean =
        kind.learnedFileName?.let { file.fileName.toString().startsWith("$it.") } == true

    /** [partial], which a learner of a primary now gone wrote at its exit (at the cluster's stop, say): checked in the background, kept if usable. */
    fun adoptLeftBehind(partial: Path, settings: ClusterSettings, kind: StartupArchive, libraryFlags: List<String>) =
        adoptInBackground(Learner(partial, settings, kind, libraryFlags))

    /** Checks [learner]'s archive on a thread of its own, puts it in place if a JVM maps it, and removes the partial; nothing if it is already being checked. */
    private fun adoptInBackground(learner: Learner) {
        if (!adopting.add(learner.partial)) return
        Thread({
            try {
                adopt(learner)
            } finally {
                runCatching { Files.deleteIfExists(learner.partial) }
                adopting.remove(learner.partial)
            }
        }, "jcluster-fast-start-learn").apply { isDaemon = true; start() }
    }

    private fun adopt(learner: Learner) {
        val kind = learner.kind
        if (!Files.isRegularFile(learner.partial)) return
        val learned = learner.dir.resolve(kind.learnedFileName ?: return)
        if (ArchiveJvm.runTraining(learner.settings, learner.libraryFlags, kind.checkFlags(learner.partial))) {
            Files.move(learner.partial, learned, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING)
            log.debug { "fast start: later workers start from $learned, learned from a worker" }
        } else {
            log.info { "fast start: the ${kind.description} a worker left at its exit does not load; workers go on with the trained one" }
        }
    }
}
