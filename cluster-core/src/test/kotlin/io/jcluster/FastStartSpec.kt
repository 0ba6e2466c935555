package io.jcluster

import io.jcluster.internal.SharedArchiveFastStart
import io.kotest.core.spec.style.FunSpec
import io.jcluster.internal.JvmProcessLauncher
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldNotContain
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldStartWith
import kotlinx.coroutines.delay
import kotlinx.coroutines.withTimeout
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.attribute.FileTime
import kotlin.io.path.listDirectoryEntries
import kotlin.time.Duration.Companion.seconds

/** Fast start: junixsocket's library at once, the class-data archive once trained, and a worker that uses both. */
class FastStartSpec : FunSpec({
    timeout = 120_000

    test("the first flags point at the extracted library; once trained, the archive is used and the worker still comes online") {
        archiveIsMapped(java = null, fileName = "worker.jsa", flag = "-XX:SharedArchiveFile=")
    }

    test("on JDK 25 the archive is an AOT cache, and the worker maps it").config(enabledIf = { Files.isExecutable(JDK_25) }) {
        archiveIsMapped(java = JDK_25, fileName = "worker.aot", flag = "-XX:AOTCache=")
    }

    test("once trained, the next worker writes what it loaded at its exit; once checked, later forks start from that archive") {
        val cache = Files.createTempDirectory("jcluster-cache")
        try {
            val fastStart = SharedArchiveFastStart(cache)
            val settings = testSettings("idle").copy(jvmArgs = emptyList(), fastStart = true, classpath = packagedClasspath(Files.createDirectory(cache.resolve("app"))))
            fastStart.prepare(settings)
            withTimeout(60.seconds) { awaitArchive(cache, "worker.jsa") } // a worker learns only once training has dumped an archive
            Primary(settings, JvmProcessLauncher, CoroutineScope(SupervisorJob() + Dispatchers.Default), fastStart).use { primary ->
                primary.recording { log ->
                    val learner = primary.fork()
                    log.await<WorkerEvent.Online>(learner)
                    val second = primary.fork() // while the first lives: the trained archive
                    log.await<WorkerEvent.Online>(second)
                    commandLine(learner) shouldContain "-XX:ArchiveClassesAtExit="
                    commandLine(second) shouldNotContain "-XX:ArchiveClassesAtExit="
                    cache.listDirectoryEntries().filter { Files.isDirectory(it) }.flatMap { it.listDirectoryEntries("worker-app.jsa") }.shouldBeEmpty()

                    learner.disconnect()
                    log.awaitGone(learner)
                    val learned = withTimeout(60.seconds) { awaitArchive(cache, "worker-app.jsa") }
                    val third = primary.fork()
                    log.await<WorkerEvent.Online>(third)
                    Files.readString(Path.of("/proc/${third.pid}/maps")) shouldContain learned.toString()
                    commandLine(third) shouldNotContain "-XX:ArchiveClassesAtExit="
                }
            }
            cache.listDirectoryEntries().filter { Files.isDirectory(it) }.flatMap { it.listDirectoryEntries("worker-app.jsa.*") }.shouldBeEmpty()
        } finally {
            cache.toFile().deleteRecursively()
        }
    }

    test("with -Xshare:off, which a JVM dumping an archive refuses, no worker is appointed to learn and workers come online") {
        val cache = Files.createTempDirectory("jcluster-cache")
        try {
            val packaged = testSettings("idle").copy(jvmArgs = emptyList(), fastStart = true, classpath = packagedClasspath(Files.createDirectory(cache.resolve("app"))))
            val settings = packaged.copy(jvmArgs = packaged.jvmArgs + "-Xshare:off")
            Primary(settings, JvmProcessLauncher, CoroutineScope(SupervisorJob() + Dispatchers.Default), SharedArchiveFastStart(cache)).use { primary ->
                primary.recording { log ->
                    val worker = primary.fork()
                    withTimeout(30.seconds) { log.await<WorkerEvent.Online>(worker) } // a worker started with the dump flag never would
                    commandLine(worker) shouldNotContain "-XX:ArchiveClassesAtExit="
                }
            }
        } finally {
            cache.toFile().deleteRecursively()
        }
    }

    test("the cache keeps the 8 builds used last, and those used within a day: a primary removes the others as it starts") {
        val hour = 3_600_000L
        // 10 builds last used two days ago, and [recent] used an hour ago: what a primary keeps besides its own build.
        fun keptOf(recent: Int): Pair<List<Path>, List<Path>> {
            val cache = Files.createTempDirectory("jcluster-cache")
            try {
                val now = System.currentTimeMillis()
                fun build(name: String, usedAt: Long) = Files.createDirectory(cache.resolve(name.padStart(24, '0'))).also { Files.setLastModifiedTime(it, FileTime.fromMillis(usedAt)) }
                val old = List(10) { n -> build("a$n", now - 48 * hour + n * 1_000L) }
                val new = List(recent) { n -> build("b$n", now - hour + n * 1_000L) }
                val launchers = Files.createDirectory(cache.resolve("run-0123")).also { Files.setLastModifiedTime(it, FileTime.fromMillis(now - 48 * hour)) }
                SharedArchiveFastStart(cache).flags(testSettings("idle").copy(jvmArgs = emptyList(), fastStart = true))
                val kept = cache.listDirectoryEntries().map { it.fileName }.toSet()
                check(launchers.fileName in kept) { "the jcluster run launcher's directory was removed: not a build's" }
                return old.filter { it.fileName in kept } to new.filter { it.fileName in kept }
            } finally {
                cache.toFile().deleteRecursively()
            }
        }
        val (oldKept, _) = keptOf(recent = 1)
        oldKept.map { it.fileName.toString() } shouldBe (4..9).map { "a$it".padStart(24, '0') } // this build, the recent one, and the 6 newest old ones
        val (noOld, recentKept) = keptOf(recent = 9)
        noOld.shouldBeEmpty()
        recentKept.size shouldBe 9 // more than 8 with this build's, but all used within a day
    }

    test("the default cache lives under the user's cache directory") {
        SharedArchiveFastStart.defaultCacheRoot().toString() shouldStartWith (System.getenv("XDG_CACHE_HOME") ?: System.getProperty("user.home"))
    }
})

private val JDK_25: Path = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java")

/**
 * Fast start on [java] (null: this JVM's): the first flags name the extracted library and no archive;
 * once trained, the archive [fileName] is passed with [flag], and a forked worker maps it.
 */
private suspend fun archiveIsMapped(java: Path?, fileName: String, flag: String) {
    val cache = Files.createTempDirectory("jcluster-cache")
    try {
        val fastStart = SharedArchiveFastStart(cache)
        // The JVM archives classes from jars only, so the application runs packaged, as deployed.
        val packaged = testSettings("idle").copy(jvmArgs = emptyList(), fastStart = true, classpath = packagedClasspath(Files.createDirectory(cache.resolve("app"))))
        val settings = java?.let { packaged.copy(java = it) } ?: packaged
        val first = fastStart.flags(settings)
        first.single { it.startsWith("-Dorg.newsclub.net.unix.library.override=") }
        first.none { it.startsWith(flag) } shouldBe true
        val archive = withTimeout(60.seconds) { awaitArchive(cache, fileName) } // trained in the background by that first call
        val next = List(2) { fastStart.flags(settings) } // where workers learn (before JDK 25), the first of them is appointed to
        next.last() shouldContain "$flag$archive"
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        Primary(settings, JvmProcessLauncher, scope, fastStart).use { primary ->
            primary.recording { log ->
                val worker = primary.fork()
                log.await<WorkerEvent.Online>(worker)
                // The JVM maps the archive it uses: proof that the worker started from it.
                Files.readString(Path.of("/proc/${worker.pid}/maps")) shouldContain archive.toString()
            }
        }
    } finally {
        cache.toFile().deleteRecursively()
    }
}

private fun commandLine(worker: Worker): String = Files.readString(Path.of("/proc/${worker.pid}/cmdline")).replace('\u0000', ' ')

/** Waits until the archive [fileName] is in place: it appears by an atomic rename, only after it was checked. */
private suspend fun awaitArchive(cache: Path, fileName: String): Path {
    while (true) {
        cache.listDirectoryEntries().filter { Files.isDirectory(it) }.flatMap { it.listDirectoryEntries(fileName) }.firstOrNull()?.let { return it }
        delay(100)
    }
}
