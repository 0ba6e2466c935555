package io.jcluster.bench

import java.nio.file.Path
import kotlin.system.exitProcess

/**
 * `bench/run reload`: supervision under load, bin/hello-cluster against Node's `cluster` with a
 * hand-written rolling restart (bench/node/reload-cluster.js, round-robin and `none`) in the same run.
 * Both print the [ClusterLine]s, so one driver runs both. Each scenario gets a fresh cluster of
 * [WORKERS] workers, [WARMUP_SECONDS] s of warm-up load, then keep-alive wrk load of at least
 * [RUN_SECONDS] s with the action [LEAD_MILLIS] into it, counting wrk's failed requests:
 * - reload: SIGHUP to the primary; the target is 0 failed requests;
 * - kill: SIGKILL to one worker; the targets are failures only among the requests in flight on the
 *   killed worker (at most one per connection it held), and the replacement listening within 1 s;
 * - upgrade (bin/hello-cluster only: Node's cluster has no way to replace its primary): `upgrade` on
 *   the control socket, a new primary takes over the port; the target is 0 failed requests, and the
 *   time until the old primary has gone is reported.
 *
 *     ReloadBench [NODE_SCRIPT] [RESULTS_DIR] [TARGET_KEYS]   (keys: hello_cluster,hello_cluster_one_standby,node_rr,node_none)
 */
object ReloadBench {
    const val WORKERS = 2
    private const val WARMUP_SECONDS = 5
    private const val RUN_SECONDS = 20
    private const val MAX_RUN_SECONDS = 120
    private const val LEAD_MILLIS = 5_000L
    private const val TAIL_MILLIS = 2_000L
    private const val QUIET_WAIT_SECONDS = 10
    private const val DISTURBED_CORES = 0.2

    /** Scenarios during which other processes took over [DISTURBED_CORES]: their times are not this machine's best. */
    private val disturbed = mutableListOf<String>()

    @JvmStatic
    fun main(args: Array<String>) {
        val nodeScript = Path.of(args.getOrElse(0) { "bench/node/reload-cluster.js" })
        val resultsDir = Path.of(args.getOrElse(1) { "bench/results" })
        val only = args.getOrNull(2)?.split(',')?.toSet()
        killDescendantsOnExit()
        val targets = ReloadTarget.all(nodeScript).filter { only == null || it.key in only }
        targets.firstOrNull { !it.isNode }?.let { hello -> LearnedArchive.prime({ port -> hello.command(port) }, WORKERS) }
        val outcomes = targets.map { target ->
            ReloadOutcome(
                target,
                reload = scenario(target, "reload") { cluster, _ -> cluster.reload() }
                    .map { (load, millis) -> Rolling(load, millis) }.onSuccess { println("   reload: $it") },
                kill = scenario(target, "kill") { cluster, port -> cluster.killOne(port) }
                    .map { (load, respawn) -> Killed(load, respawn) }.onSuccess { println("   kill: $it") },
                upgrade = if (target.upgrades) upgrade(target) else null,
            )
        }
        val report = ReloadReport(outcomes)
        report.print()
        if (disturbed.isNotEmpty()) println("  warning: other processes took over $DISTURBED_CORES cores during ${disturbed.joinToString()}; run again on a quiet machine")
        report.toBenchReport().write(resultsDir)
        exitProcess(0)
    }

    /** The primary upgraded under load, through a control socket of its own; the new primary is stopped afterwards. */
    private fun upgrade(target: ReloadTarget): Result<Upgraded> {
        val dir = java.nio.file.Files.createTempDirectory("jcluster-bench")
        var upgrade: PrimaryUpgrade? = null
        val socket = dir.resolve("control.sock")
        return try {
            scenario(target, "upgrade", listOf("--control-socket", "$socket"), after = { upgrade?.stopSuccessor() }) { cluster, _ ->
                PrimaryUpgrade(cluster.server, socket).also { upgrade = it }.upgrade()
            }.map { (load, times) -> Upgraded(load, times.first, times.second) }.onSuccess { println("   upgrade: $it") }
        } finally {
            dir.toFile().deleteRecursively()
        }
    }

    /** A fresh cluster, warmed up, and [action] under load; the load's figures and what [action] returned. [after] runs once the load ended. */
    private fun <T> scenario(
        target: ReloadTarget,
        name: String,
        extraArgs: List<String> = emptyList(),
        after: () -> Unit = {},
        action: (SupervisedCluster, Int) -> T,
    ): Result<Pair<WrkResult, T>> = runCatching {
        val waited = OtherLoad.awaitQuiet(QUIET_WAIT_SECONDS)
        val port = ServerProcess.freePort()
        println("== $target: $name, port $port" + if (waited > 1) " (waited $waited s for other processes to go quiet)" else "")
        ServerProcess.start(target.command(port) + extraArgs, Process::destroy).use { server ->
            val cluster = SupervisedCluster(server, WORKERS).apply { awaitListening() }
            val wrk = Wrk("http://127.0.0.1:$port/")
            println("   warm-up: ${wrk.run(WARMUP_SECONDS, close = false)}")
            val others = OtherLoad.start()
            try {
                wrk.around(MAX_RUN_SECONDS, close = false) { withLoadAround { action(cluster, port) } }.also {
                    val cores = others.coresUsed().also { println("   others: %.2f cores".format(it)) }
                    if (cores > DISTURBED_CORES) disturbed += "$target $name"
                }
            } finally {
                after()
            }
        }
    }.onFailure { System.err.println("== $target: $name failed, left out of the results: ${it.message}") }

    /** Load for [LEAD_MILLIS] before [action], and after it until [RUN_SECONDS] in all, but at least [TAIL_MILLIS]. */
    private fun <T> withLoadAround(action: () -> T): T {
        val start = System.nanoTime()
        Thread.sleep(LEAD_MILLIS)
        val value = action()
        val elapsed = (System.nanoTime() - start) / 1_000_000
        Thread.sleep(maxOf(RUN_SECONDS * 1_000L - elapsed, TAIL_MILLIS))
        return value
    }
}

/**
 * A cluster `bench/run reload` and `bench/run chaos` drive, by the command that starts it on a port
 * with a restart budget (null: the target's default; Node's script has none, it respawns without limit).
 */
class ReloadTarget(
    val key: String,
    val label: String,
    val isNode: Boolean,
    /** Whether the upgrade scenario runs: Node's cluster has none, and a variant of hello-cluster adds nothing to it. */
    val upgrades: Boolean = !isNode,
    private val command: (Int, Int?) -> List<String>,
) {
    fun command(port: Int, maxRestarts: Int? = null): List<String> = command.invoke(port, maxRestarts)

    override fun toString() = label

    companion object {
        fun all(nodeScript: Path): List<ReloadTarget> = listOf(
            hello("hello_cluster", "bin/hello-cluster", upgrades = true),
            // As it ships, a standby per worker: a reload starts no JVM before the old workers go. With one, the lean
            // option, the second slot waits for a JVM to boot under the load.
            hello("hello_cluster_one_standby", "hello --standby 1", upgrades = false, "--standby", "1"),
            node(nodeScript, "rr"),
            node(nodeScript, "none"),
        )

        private fun hello(key: String, label: String, upgrades: Boolean, vararg flags: String) =
            ReloadTarget(key, label, isNode = false, upgrades) { port, maxRestarts ->
                listOf("bin/hello-cluster", "--port", "$port", "--workers", "${ReloadBench.WORKERS}", *flags) +
                    (maxRestarts?.let { listOf("--max-restarts", "$it") } ?: emptyList())
            }

        private fun node(script: Path, policy: String) = ReloadTarget("node_$policy", "node $policy", isNode = true) { port, _ ->
            listOf("env", "NODE_CLUSTER_SCHED_POLICY=$policy", "node", "$script", "--port", "$port", "--workers", "${ReloadBench.WORKERS}")
        }
    }
}

/** Each scenario's figures on one target, or why it has none. */
class ReloadOutcome(val target: ReloadTarget, val reload: Result<Rolling>, val kill: Result<Killed>, val upgrade: Result<Upgraded>? = null)

/** wrk's figures over a SIGKILL of one worker, and how the worker was replaced. */
data class Killed(val load: WrkResult, val respawn: SupervisedCluster.Respawn) {
    override fun toString() = "replacement listening ${respawn.listeningMillis} ms after the kill, ${respawn.connections} connections on the killed worker; $load"
}
