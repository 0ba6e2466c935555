package io.jcluster.run

import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption
import java.security.MessageDigest
import java.util.HexFormat
import java.util.zip.ZipFile

/** The agent jar that workers run with, and the JVM options that start it fast. */
internal object AgentJar {
    /** The property naming the agent jar (bin/jcluster sets it; so do the specs). */
    const val PROPERTY = "jcluster.agent.jar"

    fun locate(given: Path?): Path {
        val path = given ?: System.getProperty(PROPERTY)?.let { Path.of(it) }
            ?: throw UsageException("no agent jar: set -D$PROPERTY=PATH (bin/jcluster does) or --agent-jar PATH")
        if (!Files.isRegularFile(path)) throw UsageException("the agent jar $path does not exist: build it with ./mvnw -B -ntp -q -pl cluster-run -am package -DskipTests")
        return path.toAbsolutePath().normalize()
    }

    /**
     * `-javaagent` and junixsocket's native library, extracted once per agent jar: junixsocket would
     * otherwise extract it to the temporary directory in every worker, 80-170 ms of each start.
     */
    fun workerFlags(jar: Path): List<String> =
        agentFlag(jar) + (nativeLibrary(jar)?.let { listOf("-Dorg.newsclub.net.unix.library.override=$it") } ?: emptyList())

    /** `-javaagent` alone. */
    fun agentFlag(jar: Path): List<String> = listOf("-javaagent:$jar")

    private fun nativeLibrary(jar: Path): Path? = runCatching {
        val dir = cacheRoot().resolve("agent-" + digest(jar))
        val target = dir.resolve("libjunixsocket-native.so")
        if (Files.isRegularFile(target)) return target
        val platform = "lib/${System.getProperty("os.arch")}-${System.getProperty("os.name").replace(" ", "")}-"
        ZipFile(jar.toFile()).use { zip ->
            val entry = zip.entries().asSequence().firstOrNull { it.name.startsWith(platform) && it.name.endsWith(".so") && !it.name.endsWith(".nodeps.so") }
                ?: return null
            Files.createDirectories(dir)
            val partial = Files.createTempFile(dir, "lib.${ProcessHandle.current().pid()}.", ".tmp")
            zip.getInputStream(entry).use { Files.copy(it, partial, StandardCopyOption.REPLACE_EXISTING) }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING)
            target
        }
    }.getOrNull()

    private fun digest(jar: Path): String {
        val sha = MessageDigest.getInstance("SHA-256")
        Files.newInputStream(jar).use { input ->
            val buffer = ByteArray(64 * 1024)
            while (true) {
                val n = input.read(buffer)
                if (n <= 0) break
                sha.update(buffer, 0, n)
            }
        }
        return HexFormat.of().formatHex(sha.digest()).take(24)
    }

    private fun cacheRoot(): Path =
        (System.getenv("XDG_CACHE_HOME")?.let { Path.of(it) } ?: Path.of(System.getProperty("user.home"), ".cache")).resolve("jcluster")
}
