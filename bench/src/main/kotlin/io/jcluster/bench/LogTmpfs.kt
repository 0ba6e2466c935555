package io.jcluster.bench

import java.nio.file.Files
import java.nio.file.Path

/** A small tmpfs for bin/hello-cluster's `--log-dir`, so that `bench/run chaos` can fill it (mounting needs root). */
object LogTmpfs {
    private const val SIZE = "1m"

    /** [dir], with a tmpfs of [SIZE] mounted on it; null (and a line saying why) if it cannot be mounted. */
    fun mount(dir: Path): Path? {
        Files.createDirectories(dir)
        val mount = ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=$SIZE", "tmpfs", "$dir").redirectErrorStream(true).start()
        val output = mount.inputStream.bufferedReader().readText().trim()
        if (mount.waitFor() == 0) return dir
        println("   cannot mount a tmpfs on $dir ($output): the full-log-disk phase is skipped")
        return null
    }

    fun unmount(dir: Path) {
        ProcessBuilder("umount", "$dir").inheritIO().start().waitFor()
    }
}
