package io.jcluster

import io.jcluster.internal.SocketDirectories
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldStartWith
import java.nio.file.Files

class SocketDirectoriesSpec : FunSpec({
    test("a dead primary's socket directory is removed; a live one's, and anything else, stays") {
        val root = Files.createTempDirectory("jcluster-root")
        try {
            val dead = ProcessBuilder("true").start().also { it.waitFor() }.pid()
            val left = Files.createDirectory(root.resolve("jcluster-$dead-abc")).also { Files.createFile(it.resolve("control.sock")) }
            val live = Files.createDirectory(root.resolve("jcluster-${ProcessHandle.current().pid()}-def"))
            val unrelated = Files.createDirectory(root.resolve("jcluster-cache"))
            val mine = SocketDirectories.create(root)
            Files.exists(left) shouldBe false
            Files.exists(live) shouldBe true
            Files.exists(unrelated) shouldBe true
            mine.fileName.toString() shouldStartWith "jcluster-${ProcessHandle.current().pid()}-"
            Files.getPosixFilePermissions(mine).map { it.name }.toSet() shouldBe setOf("OWNER_READ", "OWNER_WRITE", "OWNER_EXECUTE")
        } finally {
            root.toFile().deleteRecursively()
        }
    }
})
