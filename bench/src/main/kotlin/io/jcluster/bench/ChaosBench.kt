package io.jcluster.bench

import java.nio.file.Files
import java.nio.file.Path
import kotlin.random.Random
import kotlin.system.exitProcess

/**
 * `bench/run chaos`: issue 7's chaos benchmark. bin/hello-cluster with [ReloadBench.WORKERS] workers,
 * and Node's `cluster` (bench/node/reload-cluster.js, round-robin) as the peer, each under keep-alive
 * wrk load for [RUN_SECONDS] s while the driver sends SIGKILL to a random worker every 5 s and SIGHUP
 * to the primary every 15 s. The targets: failed requests no more than the requests in flight on the
 * killed workers, every replacement listening within 1 s, [ReloadBench.WORKERS] workers at the end,
 * and the primary's descriptors and threads as before.
 *
 * The actions run one at a time ([SupervisedCluster] reads one line at a time): a kill is timed to
 * the next `listening` line, so the HUPs fall half-way between two kills and neither overlaps the
 * other; an action due while the previous one still runs starts late, and the report says by how much.
 * Then the [ChaosPhase]s run on the same cluster, each under its own wrk run: a scale storm, fd
 * exhaustion, a stopped worker and a full log disk.
 *
 *     ChaosBench [NODE_SCRIPT] [RESULTS_DIR] [TARGET_KEYS]   (keys: hello_cluster,node_rr,node_none)
 */
object ChaosBench {
    const val RUN_SECONDS = 60
    const val KILL_EVERY_MILLIS = 5_000L
    const val HUP_EVERY_MILLIS = 15_000L
    const val HUP_OFFSET_MILLIS = 7_500L
    private const val WARMUP_SECONDS = 5
    private const val QUIET_WAIT_SECONDS = 10

    /** 11 kills within the 60 s window: hello-cluster's default budget (10) would fail the cluster by design. */
    private const val MAX_RESTARTS = 100

    /** Seed of the victim choices: two runs kill the same sequence of worker slots (by position). */
    private const val SEED = 7

    @JvmStatic
    fun main(args: Array<String>) {
        val nodeScript = Path.of(args.getOrElse(0) { "bench/node/reload-cluster.js" })
        val resultsDir = Path.of(args.getOrElse(1) { "bench/results" })
        val keys = args.getOrElse(2) { "hello_cluster,node_rr" }.split(',').toSet()
        killDescendantsOnExit()
        val targets = ReloadTarget.all(nodeScript).filter { it.key in keys }
        targets.firstOrNull { !it.isNode }?.let { hello -> LearnedArchive.prime({ port -> hello.command(port) }, ReloadBench.WORKERS) }
        val runs = targets.map { target ->
            val phases = mutableListOf<PhaseRun>()
            ChaosRun(target, run(target, phases), phases)
        }
        val report = ChaosReport(runs)
        report.print()
        report.toBenchReport().write(resultsDir)
        exitProcess(0)
    }

    /** A fresh cluster, warmed up, then [RUN_SECONDS] s of load and chaos, then the [ChaosPhase]s into [phases]. */
    private fun run(target: ReloadTarget, phases: MutableList<PhaseRun>): Result<Chaos> = runCatching {
        val waited = OtherLoad.awaitQuiet(QUIET_WAIT_SECONDS)
        val port = ServerProcess.freePort()
        println("== $target: chaos, port $port" + if (waited > 1) " (waited $waited s for other processes to go quiet)" else "")
        val scratch = Files.createTempDirectory("jcluster-chaos")
        val logDir = if (target.isNode) null else LogTmpfs.mount(scratch.resolve("logs"))
        val admin = scratch.resolve("admin.sock").takeIf { !target.isNode }
        val extra = if (target.isNode) emptyList() else listOf("--control-socket", "$admin") + (logDir?.let { listOf("--log-dir", "$it") } ?: emptyList())
        val stderr = scratch.resolve("stderr.log")
        try {
            ServerProcess.start(target.command(port, MAX_RESTARTS) + extra, Process::destroy, stderr.toFile()).use { server ->
                val cluster = SupervisedCluster(server, ReloadBench.WORKERS).apply { awaitListening() }
                val chaos = chaos(server, cluster, port)
                val context = PhaseCluster(server, cluster, port, ReloadBench.WORKERS, admin?.let(::AdminSocket), logDir, stderr)
                ChaosPhase.ALL.mapTo(phases) { PhaseDriver.run(it, target, context, Wrk("http://127.0.0.1:$port/")) }
                chaos
            }
        } finally {
            logDir?.let(LogTmpfs::unmount)
            scratch.toFile().deleteRecursively()
        }
    }.onFailure { System.err.println("== $target: chaos failed, left out of the results: ${it.message}") }

    /** Warm-up, then [RUN_SECONDS] s of load with the kills and reloads of [actions]. */
    private fun chaos(server: ServerProcess, cluster: SupervisedCluster, port: Int): Chaos {
        val wrk = Wrk("http://127.0.0.1:$port/")
        println("   warm-up: ${wrk.run(WARMUP_SECONDS, close = false)}")
        val before = ProcStatus.of(server.pid)
        val others = OtherLoad.start()
        val started = System.nanoTime()
        val (load, actions) = wrk.around(RUN_SECONDS * 2, close = false) { actions(cluster, port) }
        val seconds = (System.nanoTime() - started) / 1e9
        val cores = others.coresUsed()
        println("   load: %.1f s, %s; others: %.2f cores".format(seconds, load, cores))
        return Chaos(load, seconds, actions, cluster.deaths, cluster.liveWorkers().size, before, ProcStatus.of(server.pid), cores)
    }

    /** The schedule, one action at a time, then load until [RUN_SECONDS]. */
    private fun actions(cluster: SupervisedCluster, port: Int): List<Action> {
        val random = Random(SEED)
        val start = System.nanoTime()
        val done = schedule().map { (at, kill) ->
            val late = sleepUntil(start, at)
            val action = if (kill) {
                Action.Kill(at, late, runCatching { cluster.killOne(port) { it.random(random) } })
            } else {
                Action.Hup(at, late, runCatching { cluster.reload() })
            }
            action.also { println("   $it") }
        }
        sleepUntil(start, RUN_SECONDS * 1_000L)
        return done
    }

    /** (ms into the run, whether it is a kill rather than a HUP), in order: kills at 5, 10, … 55 s; HUPs at 7.5, 22.5, 37.5, 52.5 s. */
    private fun schedule(): List<Pair<Long, Boolean>> {
        val end = RUN_SECONDS * 1_000L
        val kills = (KILL_EVERY_MILLIS until end step KILL_EVERY_MILLIS).map { it to true }
        val hups = (HUP_OFFSET_MILLIS until end step HUP_EVERY_MILLIS).map { it to false }
        return (kills + hups).sortedBy { it.first }
    }

    /** Sleeps until [atMillis] after [start]; returns how late that already was (ms), 0 if on time. */
    private fun sleepUntil(start: Long, atMillis: Long): Long {
        val wait = atMillis - (System.nanoTime() - start) / 1_000_000
        if (wait > 0) Thread.sleep(wait)
        return maxOf(0, -wait)
    }
}

/** What the chaos did on one target, or why it has no figures, and its phases. */
class ChaosRun(val target: ReloadTarget, val chaos: Result<Chaos>, val phases: List<PhaseRun>)

/**
 * One target's figures: wrk's over [loadSeconds] (more than [ChaosBench.RUN_SECONDS] when actions ran late), every action's, the `died` lines read, the primary's live children
 * that listen at the end, and the primary's descriptors and threads before and after (both with no load).
 */
class Chaos(
    val load: WrkResult,
    val loadSeconds: Double,
    val actions: List<Action>,
    val deaths: Int,
    val workersAtEnd: Int,
    val before: ProcStatus,
    val after: ProcStatus,
    val otherCores: Double,
) {
    val kills: List<Action.Kill> get() = actions.filterIsInstance<Action.Kill>()
    val hups: List<Action.Hup> get() = actions.filterIsInstance<Action.Hup>()

    /** The replacements' kill → `listening` times (ms), sorted; the kills that got none are left out. */
    val listeningMillis: LongArray get() = kills.mapNotNull { it.respawn.getOrNull()?.listeningMillis }.sorted().toLongArray()

    /** The connections the killed workers held: at most one request in flight each. */
    val inFlight: Int get() = kills.sumOf { it.respawn.getOrNull()?.connections ?: 0 }
}

/** One action of the schedule: due [atMillis] into the run, started [lateMillis] after that. */
sealed interface Action {
    val atMillis: Long
    val lateMillis: Long

    data class Kill(override val atMillis: Long, override val lateMillis: Long, val respawn: Result<SupervisedCluster.Respawn>) : Action {
        override fun toString() = "${moment()} SIGKILL: " + respawn.fold(
            { "pid ${it.victim}, ${it.connections} connections, replacement listening after ${it.listeningMillis} ms" }, { "failed: ${it.message}" })
    }

    data class Hup(override val atMillis: Long, override val lateMillis: Long, val reloadMillis: Result<Long>) : Action {
        override fun toString() = "${moment()} SIGHUP: " + reloadMillis.fold({ "reloaded in $it ms" }, { "failed: ${it.message}" })
    }

    fun moment(): String = "%5.1f s".format(atMillis / 1e3) + if (lateMillis > 0) " (+$lateMillis ms late)" else ""
}
