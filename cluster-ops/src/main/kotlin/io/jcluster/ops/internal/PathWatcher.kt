package io.jcluster.ops.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import java.nio.file.ClosedWatchServiceException
import java.nio.file.FileSystems
import java.nio.file.FileVisitResult
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.Path
import java.nio.file.SimpleFileVisitor
import java.nio.file.StandardWatchEventKinds.ENTRY_CREATE
import java.nio.file.StandardWatchEventKinds.ENTRY_DELETE
import java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY
import java.nio.file.StandardWatchEventKinds.OVERFLOW
import java.nio.file.WatchEvent
import java.nio.file.WatchKey
import java.nio.file.attribute.BasicFileAttributes
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.TimeUnit

private val log = KotlinLogging.logger {}

/**
 * Watches [paths] with the file system's [java.nio.file.WatchService] (inotify on Linux), from a
 * daemon thread of its own, and calls [onChange] with each created, modified or deleted file that
 * [WatchedPaths.accepts], on that thread: keep it quick. A directory created in a tree is watched
 * from then on, and the files already in it are reported. When the system drops events (overflow),
 * the directory is reported instead. [close] stops the thread and releases the watches.
 *
 * @throws java.io.IOException if a directory cannot be watched.
 */
internal class PathWatcher(private val paths: WatchedPaths, private val onChange: (Path) -> Unit) : AutoCloseable {
    private val service = FileSystems.getDefault().newWatchService()
    private val directories = ConcurrentHashMap<WatchKey, Path>()
    private val thread: Thread

    init {
        try {
            paths.trees.forEach { registerTree(it, report = false) }
            paths.fileDirectories.forEach(::register)
        } catch (e: Exception) {
            service.close()
            throw e
        }
        thread = Thread(::run, "jcluster-reload-watch").apply { isDaemon = true; start() }
    }

    /** How many directories are watched. */
    val watched: Int get() = directories.size

    override fun close() {
        service.close() // take() throws ClosedWatchServiceException: the thread ends
        if (Thread.currentThread() != thread) thread.join(TimeUnit.SECONDS.toMillis(5))
    }

    private fun run() {
        while (true) {
            val key = try {
                service.take()
            } catch (e: ClosedWatchServiceException) {
                return
            } catch (e: InterruptedException) {
                return
            }
            val dir = directories[key]
            if (dir != null) key.pollEvents().forEach { event -> handle(dir, event) }
            if (!key.reset()) directories.remove(key) // the directory is gone
        }
    }

    private fun handle(dir: Path, event: WatchEvent<*>) {
        try {
            if (event.kind() == OVERFLOW) {
                if (paths.watchesDirectory(dir)) registerTree(dir, report = false) // directories created meanwhile
                onChange(dir)
                return
            }
            val path = dir.resolve(event.context() as Path)
            if (event.kind() == ENTRY_CREATE && paths.watchesDirectory(path) && Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                registerTree(path, report = true)
            } else if (paths.accepts(path)) {
                onChange(path)
            }
        } catch (e: ClosedWatchServiceException) {
            return
        } catch (e: Exception) {
            // A directory removed as it was being registered, say: the watch goes on for the others.
            log.debug(e) { "reload: ignored $event in $dir" }
        }
    }

    /** Watches [root] and the directories below it; with [report], reports the files found in them (created before their watch). */
    private fun registerTree(root: Path, report: Boolean) {
        Files.walkFileTree(root, object : SimpleFileVisitor<Path>() {
            override fun preVisitDirectory(dir: Path, attrs: BasicFileAttributes): FileVisitResult {
                if (!paths.watchesDirectory(dir)) return FileVisitResult.SKIP_SUBTREE
                register(dir)
                return FileVisitResult.CONTINUE
            }

            override fun visitFile(file: Path, attrs: BasicFileAttributes): FileVisitResult {
                if (report && paths.accepts(file)) onChange(file)
                return FileVisitResult.CONTINUE
            }
        })
    }

    private fun register(dir: Path) {
        directories[dir.register(service, ENTRY_CREATE, ENTRY_MODIFY, ENTRY_DELETE)] = dir
    }
}
