package io.jcluster.ops.internal

import java.nio.file.Files
import java.nio.file.Path

/**
 * What [io.jcluster.ops.Plugins.reload] watches: each directory given, with everything below it
 * ([trees], less directories whose names start with a dot, such as `.git`), and each file given
 * ([files], through its directory). A file in a tree counts when its extension is one of [extensions]
 * (any file when that is empty) and it is not an editor's temporary file; a file given by itself
 * always counts.
 */
internal class WatchedPaths(paths: List<Path>, extensions: Set<String>) {
    val trees: List<Path>
    val files: Set<Path>
    private val extensions: Set<String> = extensions.map { it.removePrefix(".").lowercase() }.toSet()

    init {
        require(paths.isNotEmpty()) { "reload() needs at least one directory or file to watch, such as target/classes" }
        val absolute = paths.map { it.toAbsolutePath().normalize() }
        absolute.forEach { path ->
            require(Files.exists(path)) { "reload(): $path does not exist; watch a directory or file that does (build once first for target/classes)" }
        }
        trees = absolute.filter { Files.isDirectory(it) }.distinct()
        files = absolute.filterNot { Files.isDirectory(it) }.toSet()
    }

    /** The directories to watch without their subdirectories: those of the [files]. */
    val fileDirectories: Set<Path> get() = files.mapNotNull { it.parent }.toSet()

    /** True for a path in one of the [trees] (or one of them). */
    fun inTree(path: Path): Boolean = trees.any { path.startsWith(it) }

    /** True for a directory of a tree that is watched: not under a dot-directory. */
    fun watchesDirectory(dir: Path): Boolean {
        val root = trees.firstOrNull { dir.startsWith(it) } ?: return false
        return root.relativize(dir).none { it.toString().startsWith(".") }
    }

    /** True when a change of [path] should reload. */
    fun accepts(path: Path): Boolean {
        if (path in files) return true
        val name = path.fileName?.toString() ?: return false
        return watchesDirectory(path.parent ?: return false) && !isEditorTemporary(name) &&
            (extensions.isEmpty() || name.substringAfterLast('.', "").lowercase() in extensions)
    }

    companion object {
        private val TEMPORARY_SUFFIXES = listOf(
            ".swp", ".swo", ".swx", ".tmp", ".temp", ".bak", ".part", ".kate-swp", "___jb_tmp___", "___jb_old___",
        )

        /**
         * Editors' temporary and backup files: vim's `.x.swp` (and `.swo`, `.swx`) and its `4913` probe,
         * `x~` backups, emacs's `.#x` locks and `#x#` autosaves, JetBrains' `___jb_tmp___` safe writes,
         * `.tmp`, `.temp`, `.bak`, `.part`.
         */
        fun isEditorTemporary(name: String): Boolean =
            name.endsWith("~") || name.startsWith(".#") || (name.length > 1 && name.startsWith("#") && name.endsWith("#")) ||
                name == "4913" || TEMPORARY_SUFFIXES.any { name.endsWith(it, ignoreCase = true) }
    }
}
