package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.attribute.PosixFileAttributeView
import kotlin.io.path.listDirectoryEntries

private val log = KotlinLogging.logger {}

/**
 * The private directories that hold primaries' control sockets, named `jcluster-<pid>-<random>` so
 * that a primary killed with SIGKILL, which cannot clean up, has its directory removed by the next one.
 */
internal object SocketDirectories {
    private const val PREFIX = "jcluster-"
    private val name = Regex("""jcluster-(\d+)-.+""")

    /** A fresh directory (mode 0700) for this process's control socket, after sweeping dead primaries' ones. */
    fun create(root: Path = Path.of(System.getProperty("java.io.tmpdir"))): Path {
        sweep(root)
        return Files.createTempDirectory(root, "$PREFIX${ProcessHandle.current().pid()}-")
    }

    /**
     * Gives [files] (the control socket first; and its directory, if this primary created it) to [user]
     * and [group], so that workers running as that user can connect; they stay closed to everyone else.
     */
    fun handOver(files: List<Path>, withDirectory: Boolean, user: String, group: String?) {
        val socket = files.first()
        val lookup = socket.fileSystem.userPrincipalLookupService
        val owner = lookup.lookupPrincipalByName(user)
        val paths = listOfNotNull(socket.parent.takeIf { withDirectory }) + files
        paths.forEach { Files.setOwner(it, owner) }
        group?.let { lookup.lookupPrincipalByGroupName(it) }?.let { gid ->
            paths.forEach { Files.getFileAttributeView(it, PosixFileAttributeView::class.java).setGroup(gid) }
        }
    }

    /** Removes the directories of primaries that are no longer running. A reused pid only delays that. */
    fun sweep(root: Path) {
        runCatching { root.listDirectoryEntries("$PREFIX*") }.getOrDefault(emptyList()).forEach { dir ->
            val pid = name.matchEntire(dir.fileName.toString())?.groupValues?.get(1)?.toLongOrNull() ?: return@forEach
            if (ProcessHandle.of(pid).isEmpty && Files.isDirectory(dir)) {
                log.debug { "removing $dir, left by primary $pid which is gone" }
                runCatching { dir.toFile().deleteRecursively() }
            }
        }
    }
}
