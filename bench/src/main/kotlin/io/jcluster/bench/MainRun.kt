package io.jcluster.bench

import java.util.concurrent.TimeUnit

/** One measured run of `wrk` on a target, with the CPU time its processes took meanwhile (ticks of 10 ms). */
data class MainRound(val load: WrkResult, val primaryTicks: Long, val allTicks: Long) {
    /** CPU time of the primary per request served, in µs. */
    val primaryMicrosPerRequest: Double get() = perRequest(primaryTicks)

    /** CPU time of the primary and all its workers (standbys too) per request served, in µs. */
    val allMicrosPerRequest: Double get() = perRequest(allTicks)

    private fun perRequest(ticks: Long) = if (load.requests == 0L) Double.NaN else ticks * 10_000.0 / load.requests

    override fun toString() = "$load; CPU per request: primary %.1f µs, all %.1f µs".format(primaryMicrosPerRequest, allMicrosPerRequest)
}

/**
 * A target of `bench/run main` while it runs: started, its workers known from their `listening`
 * lines, its resident sets read from /proc. Closing it stops it (SIGTERM, then whatever is left is killed).
 */
class MainRun private constructor(val target: MainTarget, private val server: ServerProcess, private val port: Int, private val metricsPort: Int) : AutoCloseable {
    private val wrk = Wrk("http://127.0.0.1:$port/", MainBench.THREADS, MainBench.CONNECTIONS)
    private val workers = mutableListOf<Long>()

    /** Start → every worker's `listening` line, in ms. */
    var listeningMillis: Long = 0
        private set

    /** Each worker's resident set when it listened, before any request (bytes). */
    lateinit var idleRss: List<Long>
        private set

    /** The processes under the primary that are not its serving workers (hello-cluster's warm standbys). */
    fun others(): List<Long> = descendants().filter { it !in workers }

    /** Each worker's resident set now (bytes). */
    fun rss(): List<Long> = workers.map { ProcStatus.residentBytes(it) ?: 0 }

    fun primaryRss(): Long = ProcStatus.residentBytes(server.pid) ?: 0

    /** A measured run of [seconds], with the CPU its processes took. */
    fun load(seconds: Int): MainRound {
        val pids = listOf(server.pid) + descendants()
        val before = pids.associateWith { ProcStatus.cpuTicks(it) ?: 0 }
        val load = wrk.run(seconds, close = false)
        val spent = pids.associateWith { pid -> (ProcStatus.cpuTicks(pid) ?: before.getValue(pid)) - before.getValue(pid) }
        return MainRound(load, spent.getValue(server.pid), spent.values.sum())
    }

    fun requestsPerWorker(): List<Long> = target.requestsPerWorker(server, metricsPort)

    override fun close() = server.close()

    private fun descendants(): List<Long> =
        ProcessHandle.of(server.pid).map { handle -> handle.descendants().map { it.pid() }.toList() }.orElse(emptyList())

    /** Reads lines until every worker listens, echoing them (less the `numReqs` ticks). */
    private fun awaitListening(started: Long) {
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS)
        while (workers.size < MainBench.WORKERS) {
            val line = server.next(deadline, "${MainBench.WORKERS} `listening` lines within $START_SECONDS s")
            if (!line.text.startsWith("numReqs")) println("   | ${line.text}")
            (ClusterLine.parse(line.text) as? ClusterLine.Listening)?.let { workers += it.pid }
        }
        listeningMillis = (System.nanoTime() - started) / 1_000_000
        idleRss = rss()
    }

    companion object {
        private const val START_SECONDS = 60L

        /** Starts [target] and returns once every worker listens. */
        fun start(target: MainTarget): MainRun {
            val port = ServerProcess.freePort()
            val metricsPort = ServerProcess.freePort()
            println("== $target: port $port")
            val started = System.nanoTime()
            val server = ServerProcess.start(target.command(port, metricsPort), Process::destroy)
            return MainRun(target, server, port, metricsPort).also { run ->
                runCatching { run.awaitListening(started) }.onFailure { run.close(); throw it }
            }
        }
    }
}
