package io.jcluster.samples

import io.jcluster.ipc.Ipc
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread

/**
 * The main job end to end, as `bin/hello-cluster` runs it: two workers serve Hello World on one
 * port, the primary counts their requests, and `TERM` to the primary stops everything with exit 0.
 */
class HelloClusterSpec : FunSpec({
    timeout = 60_000

    test("two workers serve Hello World on one port, the primary counts every request, TERM stops all") {
        val java = ProcessHandle.current().info().command().orElseThrow()
        val primary = ProcessBuilder(listOf(java) + Ipc.jvmFlags + listOf(
            "-cp", System.getProperty("java.class.path"), HelloCluster::class.java.name, "--workers", "2", "--port", "0",
        )).redirectErrorStream(true).start()
        val lines = LinkedBlockingQueue<String>()
        thread(isDaemon = true) { primary.inputStream.bufferedReader().forEachLine { lines.put(it) } }
        try {
            val listening = withTimeout(40_000) { List(2) { lines.next { Regex("listening on /127.0.0.1:(\\d+)").find(it)?.groupValues?.get(1) } } }
            val port = listening.toSet().single().toInt()

            val client = HttpClient.newHttpClient()
            repeat(10) {
                val response = withContext(Dispatchers.IO) {
                    client.send(HttpRequest.newBuilder(URI("http://127.0.0.1:$port/")).build(), HttpResponse.BodyHandlers.ofString())
                }
                (response.statusCode() to response.body()) shouldBe (200 to "Hello World\n")
            }
            withTimeout(10_000) { lines.next { it.takeIf { line -> line == "numReqs = 10" } } }

            val workers = primary.descendants().toList()
            primary.toHandle().destroy() // TERM
            withContext(Dispatchers.IO) { primary.waitFor(20, TimeUnit.SECONDS) } shouldBe true
            primary.exitValue() shouldBe 0
            workers.filter { it.isAlive }.shouldBeEmpty()
        } finally {
            primary.descendants().forEach { it.destroyForcibly() }
            primary.destroyForcibly()
        }
    }
})

/** Takes lines until [pick] returns non-null for one; returns that. */
private suspend fun <T : Any> LinkedBlockingQueue<String>.next(pick: (String) -> T?): T = withContext(Dispatchers.IO) {
    while (true) {
        ensureActive() // the caller's timeout
        val line = poll(100, TimeUnit.MILLISECONDS) ?: continue
        pick(line)?.let { return@withContext it }
    }
    @Suppress("UNREACHABLE_CODE") error("unreachable")
}
