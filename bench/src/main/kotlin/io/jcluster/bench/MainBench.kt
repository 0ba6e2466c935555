package io.jcluster.bench

import java.nio.file.Path
import kotlin.system.exitProcess

/**
 * `bench/run main`: the main job, bin/hello-cluster ([WORKERS] workers, as it ships: a warm
 * standby per worker, under each strategy), against Node's own cluster example doing the same job
 * (bench/node/main-cluster.js, `rr`, Node's default on Linux, and `none`) in the same run, all under
 * keep-alive `wrk -t[THREADS] -c[CONNECTIONS]`:
 * - cold: the first [SECONDS] s of load, started the moment every worker listens;
 * - then [SECONDS] s of warm-up (printed, not counted);
 * - warm: [ROUNDS] rounds (`MAIN_BENCH_ROUNDS`) giving every target, in turn, [SECONDS] s of load;
 *   each figure is the median of its rounds. Taking turns pairs the figures of one round: this
 *   machine's speed drifts over minutes. Each round also reads the CPU time of the target's
 *   processes (the primary, and all of them), per request: a figure other load disturbs less;
 * - memory: each worker's resident set when it listened (idle) and after all the load (loaded);
 * - balance: requests served by the busiest worker over the least busy one, over the whole run.
 *
 *     MainBench [NODE_SCRIPT] [RESULTS_DIR] [TARGET_KEYS]   (keys: hello_shared,hello_round_robin,hello_reuse_port,node_rr,node_none)
 */
object MainBench {
    const val WORKERS = 2
    const val THREADS = 1
    const val CONNECTIONS = 50
    val SECONDS = System.getenv("MAIN_BENCH_SECONDS")?.toInt() ?: 10
    private val ROUNDS = System.getenv("MAIN_BENCH_ROUNDS")?.toInt()?.coerceAtLeast(1) ?: 3

    /** hello-cluster's workers report their counts with each heartbeat answer (every 5 s): wait one out after the load. */
    private const val HEARTBEAT_WAIT_MILLIS = 6_000L
    private const val QUIET_WAIT_SECONDS = 30
    private const val DISTURBED_CORES = 0.2

    @JvmStatic
    fun main(args: Array<String>) {
        val nodeScript = Path.of(args.getOrElse(0) { "bench/node/main-cluster.js" })
        val resultsDir = Path.of(args.getOrElse(1) { "bench/results" })
        val only = args.getOrNull(2)?.split(',')?.toSet()
        killDescendantsOnExit()
        val waited = OtherLoad.awaitQuiet(QUIET_WAIT_SECONDS)
        if (waited > 1) println("(waited $waited s for other processes to go quiet)")
        val targets = MainTarget.all(nodeScript).filter { only == null || it.key in only }
        targets.firstOrNull { !it.isNode }?.let { hello -> LearnedArchive.prime({ port -> hello.command(port, ServerProcess.freePort()) }, WORKERS) }
        val others = OtherLoad.start()
        val outcomes = measure(targets)
        val cores = others.coresUsed()
        val report = MainReport(outcomes, ROUNDS)
        report.print()
        println("\nother processes used %.2f cores during the run".format(cores) +
            if (cores > DISTURBED_CORES) ": the figures are not this machine's best; run again on a quiet machine" else "")
        report.toBenchReport().write(resultsDir)
        exitProcess(0)
    }

    /** Starts each target and measures it cold, then the rounds in turn, then memory and balance; a target that fails is reported so. */
    private fun measure(targets: List<MainTarget>): List<MainOutcome> {
        val started = targets.associateWith { target -> attempt(target) { coldStart(target) } }
        val running = started.values.mapNotNull { it.getOrNull() }.toMap() // each run and its cold round
        try {
            val rounds = running.keys.associateWith { mutableListOf<MainRound>() }
            val failed = mutableMapOf<MainRun, Throwable>()
            repeat(ROUNDS) { round ->
                println("== round ${round + 1} of $ROUNDS")
                running.keys.filter { it !in failed }.forEach { run ->
                    attempt(run.target) { run.load(SECONDS) }
                        .onSuccess { rounds.getValue(run) += it; println("   ${run.target}: $it") }
                        .onFailure { failed[run] = it }
                }
            }
            Thread.sleep(HEARTBEAT_WAIT_MILLIS)
            return started.map { (target, start) ->
                MainOutcome(target, start.mapCatching { (run, cold) ->
                    failed[run]?.let { throw it }
                    finish(run, cold, rounds.getValue(run))
                })
            }
        } finally {
            running.keys.forEach { it.close() }
        }
    }

    /** A fresh target, its cold run and its warm-up. */
    private fun coldStart(target: MainTarget): Pair<MainRun, MainRound> {
        val run = MainRun.start(target)
        try {
            val cold = run.load(SECONDS).also { println("   cold: $it") }
            println("   warm-up: ${run.load(SECONDS)}")
            return run to cold
        } catch (e: Exception) {
            run.close()
            throw e
        }
    }

    private fun finish(run: MainRun, cold: MainRound, rounds: List<MainRound>) = MainFigures(
        listeningMillis = run.listeningMillis,
        idleRss = run.idleRss,
        loadedRss = run.rss(),
        standbyRss = run.others().mapNotNull { ProcStatus.residentBytes(it) },
        primaryRss = run.primaryRss(),
        cold = cold,
        rounds = rounds,
        requestsPerWorker = run.requestsPerWorker(),
    ).also { println("== ${run.target}: $it") }

    private fun <T> attempt(target: MainTarget, block: () -> T): Result<T> =
        runCatching(block).onFailure { System.err.println("== $target failed, left out of the results: ${it.message}") }
}
