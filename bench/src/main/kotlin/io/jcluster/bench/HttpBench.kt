package io.jcluster.bench

import io.jcluster.SharingStrategy
import java.lang.management.ManagementFactory
import java.nio.file.Path
import kotlin.system.exitProcess

/**
 * `bench/run http`: wrk against hello world ([HttpBenchServer]) with keep-alive and with
 * `Connection: close`, for each adapter in a single JVM and in a 2-worker cluster under each
 * strategy (and in a cluster of one worker, which shows what being a worker costs), and against
 * Node's `cluster` (rr and none) in the same run; then, on each 2-worker cluster, a
 * rolling replacement of both workers under keep-alive load, counting failed requests.
 *
 * Targets run in groups: one adapter's single JVM and its clusters, then Node's two. A group's
 * servers start together and each is warmed up with load in runs of [WARMUP_STEP] s, printed so the
 * plateau shows: [KEEP_ALIVE_WARMUP_STEPS] with keep-alive, then [CLOSE_WARMUP_STEPS] with
 * `Connection: close`. Two worker JVMs compile the same code twice on two cores: measured with the
 * JIT threads' CPU time, they settle after ~9 s of keep-alive load and ~8 s more of close load (one
 * JVM: ~6 and ~4 s). Then [ROUNDS] rounds (`HTTP_BENCH_ROUNDS`, 3), each giving every server of the
 * group, in turn, one keep-alive and one close run; each mode's figure is its median round. Taking
 * turns pairs the figures a target compares (a cluster against the same server in one JVM): this
 * machine's speed drifts by a fifth over minutes, and one server measured after another would carry
 * the drift into the ratio. The idle servers of the group cost ~0.01 core per cluster meanwhile.
 * `HTTP_BENCH_SECONDS` sets the length of each measured run (5 s). Before each group it waits (up to
 * [QUIET_WAIT_SECONDS]) for other processes to go quiet, and it reports the CPU they took meanwhile.
 */
object HttpBench {
    private val SECONDS = System.getenv("HTTP_BENCH_SECONDS")?.toInt() ?: 5
    private val ROUNDS = System.getenv("HTTP_BENCH_ROUNDS")?.toInt()?.coerceAtLeast(1) ?: 3
    private const val WARMUP_STEP = 3
    private const val KEEP_ALIVE_WARMUP_STEPS = 4
    private const val CLOSE_WARMUP_STEPS = 3
    private const val ROLLING_MAX_SECONDS = 120
    private const val ROLLING_MARGIN_MILLIS = 1_000L
    private const val BUSY_LOAD = 0.5
    private const val QUIET_WAIT_SECONDS = 30

    @JvmStatic
    fun main(args: Array<String>) {
        val nodeScript = Path.of(args.getOrElse(0) { "bench/node/http-cluster.js" })
        val resultsDir = Path.of(args.getOrElse(1) { "bench/results" })
        val only = args.getOrNull(2)?.split(',')?.toSet() // target keys, to try one or two by hand
        killDescendantsOnExit()
        warnIfBusy()
        val chosen = targets(nodeScript).filter { only == null || it.key in only }
        val measured = chosen.groupBy { it.group }.values.flatMap(::measureTogether).toMap()
        val report = HttpReport(measured, SECONDS, ROUNDS)
        report.print()
        report.toBenchReport().write(resultsDir)
        exitProcess(0)
    }

    /** Throughput on 2 cores means nothing if something else runs: say so up front. */
    private fun warnIfBusy() {
        val load = ManagementFactory.getOperatingSystemMXBean().systemLoadAverage
        if (load > BUSY_LOAD) System.err.println("warning: load average %.2f: the machine is not quiet; figures will be low and noisy".format(load))
    }

    private fun targets(nodeScript: Path): List<HttpTarget> {
        val jvm = HelloWorld.entries.flatMap { adapter ->
            listOf(HttpTarget.Single(adapter), HttpTarget.OneWorker(adapter)) + SharingStrategy.entries.map { HttpTarget.Clustered(adapter, it) } +
                HttpTarget.Sticky(adapter)
        }
        val node = if (nodeAvailable()) listOf("rr", "none").map { HttpTarget.Node(nodeScript, it) } else emptyList()
        return jvm + node
    }

    private fun nodeAvailable(): Boolean = runCatching { ProcessBuilder("node", "--version").start().waitFor() == 0 }
        .getOrDefault(false).also { if (!it) System.err.println("node not found: Node's cluster is left out") }

    /** Measures [group] with its servers running side by side, taking turns; a target that fails is left out. */
    private fun measureTogether(group: List<HttpTarget>): List<Pair<HttpTarget, Measurement>> {
        val waited = OtherLoad.awaitQuiet(QUIET_WAIT_SECONDS)
        if (waited > 1) println("(waited $waited s for other processes to go quiet)")
        val running = group.mapNotNull { target -> attempt(target) { RunningTarget(target) } }
        try {
            val warm = running.filter { run -> attempt(run.target) { run.warm() } != null }
            val others = OtherLoad.start()
            val measured = List(ROUNDS) { round ->
                println("== round ${round + 1} of $ROUNDS")
                warm.mapNotNull { run -> attempt(run.target) { run to run.measureRound() } }
                    .also { results -> StickyCost.printRound(results.map { (run, r) -> run.target to r }) }
            }.flatten().groupBy({ it.first }, { it.second })
            val otherCores = others.coresUsed()
            return measured.filterValues { it.size == ROUNDS }.mapNotNull { (run, rounds) ->
                println("== ${run.target}")
                val keepAlive = median(rounds.map { it.first }).also { println("   keep-alive: $it${roundsOf(rounds.map { it.first })}") }
                val close = median(rounds.map { it.second }).also { println("   close:      $it${roundsOf(rounds.map { it.second })}") }
                val rolling = when {
                    !run.target.replaces -> null
                    else -> attempt(run.target) { rolling(run.server, run.wrk) }?.also { println("   rolling:    $it") } ?: return@mapNotNull null
                }
                println("   others:     %.2f cores".format(otherCores))
                run.target to Measurement(keepAlive, close, rolling, otherCores)
            }
        } finally {
            running.forEach { it.server.close() }
        }
    }

    /** [action]'s value, or null, with a line saying that [target] failed and is left out of the results. */
    private fun <T> attempt(target: HttpTarget, action: () -> T): T? = runCatching(action)
        .onFailure { System.err.println("== $target: failed, left out of the results: $it") }.getOrNull()

    /** One target's server, started and listening. */
    private class RunningTarget(val target: HttpTarget) {
        private val port = ServerProcess.freePort()
        val server: ServerProcess = ServerProcess.start(target, port)
        val wrk = Wrk("http://127.0.0.1:$port/", script = target.wrkScript)

        init {
            println("== $target on port $port")
            try {
                server.await("ready")
            } catch (e: Exception) {
                server.close()
                throw e
            }
        }

        fun warm() {
            println("== $target: warm-up")
            warmUp(wrk, close = false, KEEP_ALIVE_WARMUP_STEPS)
            warmUp(wrk, close = true, CLOSE_WARMUP_STEPS)
        }

        /** One keep-alive run, then one close run. */
        fun measureRound(): Pair<WrkResult, WrkResult> =
            (wrk.run(SECONDS, close = false) to wrk.run(SECONDS, close = true))
                .also { (keepAlive, close) -> println("   %-22s keep-alive %.0f, close %.0f req/s".format(target, keepAlive.requestsPerSecond, close.requestsPerSecond)) }
    }

    private fun median(results: List<WrkResult>): WrkResult = results.sortedBy { it.requestsPerSecond }[results.size / 2]

    private fun roundsOf(results: List<WrkResult>): String =
        if (results.size < 2) "" else " (median of ${results.joinToString(" ") { "%.0f".format(it.requestsPerSecond) }})"

    private fun warmUp(wrk: Wrk, close: Boolean, steps: Int) {
        val rates = List(steps) { wrk.run(WARMUP_STEP, close).requestsPerSecond }
        println("   warm-up ${if (close) "close:     " else "keep-alive:"} ${rates.joinToString(" ") { "%.0f".format(it) }} req/s")
    }

    /** Keep-alive load from a second before `replace` until a second after `replaced`. */
    private fun rolling(server: ServerProcess, wrk: Wrk): Rolling {
        val (load, millis) = wrk.around(ROLLING_MAX_SECONDS, close = false) {
            Thread.sleep(ROLLING_MARGIN_MILLIS)
            server.send("replace")
            server.await("replaced", ROLLING_MAX_SECONDS - 10L).toLong().also { Thread.sleep(ROLLING_MARGIN_MILLIS) }
        }
        return Rolling(load, millis)
    }
}

/** One target's figures, and the CPU other processes took meanwhile (in cores; see [OtherLoad]). */
data class Measurement(val keepAlive: WrkResult, val close: WrkResult, val rolling: Rolling?, val otherCores: Double)

/** wrk's figures over a rolling replacement, and how long the replacement took. */
data class Rolling(val load: WrkResult, val millis: Long) {
    override fun toString() = "replaced in $millis ms; $load"
}
