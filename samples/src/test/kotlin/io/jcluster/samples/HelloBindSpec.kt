package io.jcluster.samples

import io.jcluster.Supervision
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.longs.shouldBeLessThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.net.InetAddress
import java.net.ServerSocket
import java.util.concurrent.TimeUnit

/**
 * `bin/hello-cluster --port P` with P taken: the primary binds P before it forks, so it exits at once,
 * non-zero, with one line naming the port (and this JVM, which holds it), and starts no worker.
 */
class HelloBindSpec : FunSpec({
    timeout = 60_000

    test("a taken port: one line naming it, a non-zero exit in under 2 s, no worker") {
        ServerSocket(0, 50, InetAddress.getLoopbackAddress()).use { taken ->
            val started = System.nanoTime()
            val (primary, lines) = helloCluster("--port", "${taken.localPort}", "--workers", "2")
            try {
                withContext(Dispatchers.IO) { primary.waitFor(20, TimeUnit.SECONDS) } shouldBe true
                val took = (System.nanoTime() - started) / 1_000_000
                Thread.sleep(100) // the reader thread drains the last line
                val output = lines.toList().filter { it.isNotBlank() }
                withClue("output:\n${output.joinToString("\n")}") {
                    output.size shouldBe 1
                    output.single() shouldContain "127.0.0.1:${taken.localPort}"
                    output.single() shouldContain "pid ${ProcessHandle.current().pid()}"
                    primary.exitValue() shouldBe Supervision.CANNOT_BOOT
                    took shouldBeLessThan 2_000
                }
            } finally {
                primary.destroyAll()
            }
        }
    }
})
