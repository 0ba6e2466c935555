package io.jcluster.fresh

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit
import java.util.jar.JarOutputStream
import java.util.zip.ZipEntry
import kotlin.io.path.copyTo
import kotlin.io.path.createDirectories
import kotlin.io.path.isRegularFile
import kotlin.io.path.readText
import kotlin.io.path.relativeTo
import kotlin.io.path.writeText
import kotlin.time.Duration

/**
 * This repository's checkout, as the nested builds see it: its own Maven (`mvnw`), the JDK that
 * runs the tests, and a local Maven repository that holds jcluster's modules as a user downloads
 * them, so that a fresh project resolves them without anything installed into `~/.m2`.
 */
internal object Checkout {
    /** The checkout's root: Surefire runs in this module's directory. */
    val root: Path = Path.of(System.getProperty("user.dir")).toAbsolutePath().parent
        .also { check(Files.isExecutable(it.resolve("mvnw"))) { "no mvnw in $it: run the spec from the reactor" } }

    /** The development version, `${revision}`'s default in the root pom. */
    val version: String = Regex("<revision>([^<]+)</revision>").find(root.resolve("pom.xml").readText())!!.groupValues[1]

    /** The `java` launcher of the JDK that runs this spec (JDK 17, the lowest jcluster supports). */
    val java: String = Path.of(System.getProperty("java.home"), "bin", "java").toString()

    /** The modules a Java app needs, and the poms they name (the parent and the BOM, which hold no classes). */
    private val MODULES = listOf("cluster-ipc", "admin-protocol", "cluster-core", "cluster-ops", "cluster-http-adapter", "cluster-java")

    /**
     * A local repository under this module's target directory with jcluster's poms (their
     * `${revision}` resolved, as the flatten plugin does on install) and its modules' jars, packed
     * from their compiled classes (`./mvnw test` packages nothing). Third-party artifacts come from
     * `~/.m2` as a read-only tail ([maven]); anything missing there is downloaded into this one.
     */
    fun localRepository(): Path {
        val repository = root.resolve("fresh-project/target/fresh-m2")
        repository.resolve("io/jcluster").toFile().deleteRecursively()
        put(repository, "jcluster-parent", root.resolve("pom.xml"), null)
        put(repository, "jcluster-bom", root.resolve("bom/pom.xml"), null)
        MODULES.forEach { put(repository, it, root.resolve("$it/pom.xml"), root.resolve("$it/target/classes")) }
        return repository
    }

    private fun put(repository: Path, artifact: String, pom: Path, classes: Path?) {
        val dir = repository.resolve("io/jcluster/$artifact/$version").createDirectories()
        dir.resolve("$artifact-$version.pom").writeText(pom.readText().replace("\${revision}", version))
        classes?.let { jar(it, dir.resolve("$artifact-$version.jar")) }
    }

    private fun jar(classes: Path, target: Path) {
        check(Files.isDirectory(classes)) { "$classes is missing: build the modules first (-am)" }
        JarOutputStream(Files.newOutputStream(target)).use { out ->
            Files.walk(classes).use { files ->
                files.filter { it.isRegularFile() }.sorted().forEach { file ->
                    out.putNextEntry(ZipEntry(file.relativeTo(classes).joinToString("/")))
                    Files.copy(file, out)
                    out.closeEntry()
                }
            }
        }
    }

    /**
     * Runs the checkout's `mvnw` in [dir] with [args] against [repository] (head) and `~/.m2`
     * (read-only tail), and returns its output; fails with the output's end if it fails or
     * outlasts [timeout] (then it is killed, with its children).
     */
    fun maven(dir: Path, repository: Path, timeout: Duration, vararg args: String): String {
        val log = Files.createTempFile("fresh-mvn", ".log")
        val tail = Path.of(System.getProperty("user.home"), ".m2", "repository")
        val command = listOf(root.resolve("mvnw").toString(), "-B", "-ntp", "-q", "-Dmaven.repo.local=$repository", "-Dmaven.repo.local.tail=$tail") + args
        val process = ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
            .also { it.environment()["JAVA_HOME"] = System.getProperty("java.home") }.start()
        val done = process.waitFor(timeout.inWholeMilliseconds, TimeUnit.MILLISECONDS)
        if (!done) Processes.kill(process)
        val output = log.readText().also { Files.delete(log) }
        check(done && process.exitValue() == 0) { "${command.drop(3).joinToString(" ")} in $dir ${if (done) "failed" else "timed out"}:\n${output.takeLast(4000)}" }
        return output
    }

    /** Copies the directory tree [from] into [to]. */
    fun copyTree(from: Path, to: Path) = Files.walk(from).use { files ->
        files.forEach { file ->
            val target = to.resolve(file.relativeTo(from).toString())
            if (Files.isDirectory(file)) target.createDirectories() else file.copyTo(target, overwrite = true)
        }
    }
}
