package io.jcluster.http

import io.jcluster.SharingStrategy
import io.jcluster.Worker
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.inspectors.forAll
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.ints.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.runInterruptible
import java.io.File

/**
 * The adapter in real worker JVMs, under every sharing strategy at once: each of two workers serves
 * one port per strategy (`listen(0)` three times). One cluster for the whole spec; the last test
 * disconnects a worker.
 */
abstract class ClusterHttpContract(adapter: AdapterUnderTest) : FunSpec({
    timeout = 60_000
    val cluster = HttpCluster(adapter)
    lateinit var workers: List<Worker>
    lateinit var ports: Map<String, Int>

    beforeSpec { cluster.start(2).let { (started, byStrategy) -> workers = started; ports = byStrategy } }
    afterSpec { cluster.close() }

    test("$adapter: listen(0) gives both workers one port per strategy, and each listener emits Listening") {
        ports.keys shouldBe HttpTestWorker.STRATEGIES.map { it.configName }.toSet()
        ports.values.toSet().size shouldBe 3
        workers.forEach { cluster.listeningCount(it, 3) }
    }

    test("$adapter: connections reach both workers under every strategy") {
        for ((strategy, port) in ports) withClue(strategy) {
            answeringWorkers(port) shouldBe workers.map { it.id }.toSet()
        }
    }

    test("$adapter: keep-alive requests stay on their worker; a Connection: close request is answered, then closed") {
        for ((strategy, port) in ports) withClue(strategy) {
            RawConnection(port).use { connection ->
                val first = connection.get().body
                repeat(2) { connection.get().body shouldBe first }
                val last = connection.get(close = true)
                (last.body to last.closes) shouldBe (first to true)
                connection.closedByServer() shouldBe true
            }
        }
    }

    test("$adapter: a worker disconnected under load finishes its requests in flight; no client sees an error") {
        val leaving = workers.first()
        val probes = ports.mapValues { (_, port) -> connectionTo(leaving.id, port) }
        val loads = ports.mapValues { (_, port) -> Load(port) }
        coroutineScope {
            val jobs = loads.values.map { it.start(this) }
            try {
                awaitUntil({ "20 answers on every port: $loads" }) { loads.values.all { load -> load.answers.size >= 20 } }
                probes.values.forEach { it.send("/?delay=800") } // requests surely in flight on the leaving worker
                leaving.disconnect()
                val answers = probes.mapValues { (_, probe) -> runInterruptible(Dispatchers.IO) { probe.read() to probe.closedByServer() } }
                val exited = cluster.exited(leaving)
                val exitedAt = System.nanoTime()
                awaitUntil({ "10 answers after the exit on every port: $loads" }) {
                    loads.values.all { load -> load.answers.count { it.sentAt > exitedAt } >= 10 }
                }
                loads.values.forEach { it.stop() }
                jobs.forEach { it.join() }

                (exited.code to exited.exitedAfterDisconnect) shouldBe (0 to true)
                for ((strategy, answer) in answers) withClue("$strategy: the request in flight at the disconnect") {
                    val (response, closed) = answer
                    Triple(response.status, Load.workerIdIn(response.body), response.closes) shouldBe Triple(200, leaving.id, true)
                    closed shouldBe true
                }
                for ((strategy, load) in loads) withClue("$strategy: $load") {
                    if (strategy == SharingStrategy.REUSE_PORT.configName && !KERNEL_MIGRATES_QUEUED_CONNECTIONS) {
                        // docs/sharing.md: the kernel resets what reaches the closing socket between its last accept and its close.
                        load.errors.size shouldBeLessThanOrEqual MAX_RESETS_AT_A_REUSE_PORT_CLOSE
                        load.errors.forAll { it shouldContain "Connection reset" }
                    } else {
                        load.errors.toList().shouldBeEmpty()
                    }
                    load.answers.filter { it.sentAt > exitedAt }.map { it.workerId }.toSet() shouldBe setOf(workers.last().id)
                }
            } finally {
                loads.values.forEach { it.stop() }
            }
        }
        probes.values.forEach { it.close() }
    }
})

/**
 * Whether Linux moves the connections queued at a closing `SO_REUSEPORT` listener to another one
 * (`net.ipv4.tcp_migrate_req=1`); by default it resets them.
 */
private val KERNEL_MIGRATES_QUEUED_CONNECTIONS = runCatching { File("/proc/sys/net/ipv4/tcp_migrate_req").readText().trim() == "1" }.getOrDefault(false)

/** Without migration, connections that arrive in the instant between a closing reuse-port socket's last accept and its close: seen 0–1 per close. */
private const val MAX_RESETS_AT_A_REUSE_PORT_CLOSE = 2

/** Opens connections (each answered once, then closed) until every worker that answers has answered; at most 200. */
private suspend fun answeringWorkers(port: Int): Set<Int> = coroutineScope {
    val seen = HashSet<Int>()
    repeat(25) {
        seen += List(8) { async(Dispatchers.IO) { RawConnection(port).use { Load.workerIdIn(it.get(close = true).body) } } }.awaitAll()
        if (seen.size >= 2) return@coroutineScope seen
    }
    seen
}

/**
 * A keep-alive connection to [port] that worker [workerId] answers. Connections are tried 8 at a time,
 * at most 200: opened one by one, all of them could go to whichever worker accepts first.
 */
private suspend fun connectionTo(workerId: Int, port: Int): RawConnection = coroutineScope {
    repeat(25) {
        val tried = List(8) { async(Dispatchers.IO) { RawConnection(port).let { it to Load.workerIdIn(it.get().body) } } }.awaitAll()
        val hit = tried.firstOrNull { it.second == workerId }?.first
        tried.forEach { (connection, _) -> if (connection !== hit) connection.close() }
        if (hit != null) return@coroutineScope hit
    }
    error("no connection to port $port reached worker $workerId")
}

class JdkHttpClusterSpec : ClusterHttpContract(AdapterUnderTest.Jdk)
class JettyClusterSpec : ClusterHttpContract(AdapterUnderTest.Jetty)
class NettyClusterSpec : ClusterHttpContract(AdapterUnderTest.Netty)
