package io.jcluster

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldMatch
import java.nio.file.Files
import java.util.concurrent.TimeUnit

/**
 * `EACCES` reaches the worker: a primary that runs as `nobody` (through util-linux `setpriv`; the
 * specs run as root, which may bind any port) cannot bind port 80 for its worker, whose `listen`
 * then fails with a BindException naming the address; the primary is not poisoned by it.
 */
class PrivilegedPortSpec : FunSpec({
    timeout = 60_000

    test("a privileged port fails the worker's listen with Permission denied; the next listen works").config(enabled = canDropPrivileges()) {
        val scratch = Files.createTempDirectory("jcluster-privileged")
        try {
            val classpath = copyClasspathFor(scratch)
            val process = ProcessBuilder(
                "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                ProcessHandle.current().info().command().orElseThrow(), *io.jcluster.ipc.Ipc.jvmFlags.toTypedArray(),
                "-Djava.io.tmpdir=$scratch", "-cp", classpath, PrivilegedPortPrimary::class.java.name,
            ).redirectErrorStream(true).start()
            try {
                val output = process.inputStream.bufferedReader().readLines()
                process.waitFor(30, TimeUnit.SECONDS) shouldBe true
                val results = output.filter { it.startsWith(PrivilegedPortPrimary.RESULT) }.map { it.removePrefix(PrivilegedPortPrimary.RESULT) }
                results.shouldHaveSize(2)
                results[0] shouldMatch Regex("java.net.BindException: Permission denied: 127.0.0.1:80 .*")
                results[1] shouldMatch Regex("\\d+")
                process.exitValue() shouldBe 0
            } finally {
                process.descendants().forEach { it.destroyForcibly() }
                process.destroyForcibly()
            }
        } finally {
            scratch.toFile().deleteRecursively()
        }
    }
})
