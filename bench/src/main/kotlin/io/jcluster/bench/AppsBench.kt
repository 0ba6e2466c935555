package io.jcluster.bench

import io.jcluster.apps.FixtureApp
import io.jcluster.apps.FixtureApps
import java.nio.file.Path
import kotlin.system.exitProcess

/**
 * `bench/run apps`: each unmodified fixture app (apps/) as one JVM and under `jcluster run --workers 2`,
 * side by side in the same run:
 * - requests/s with keep-alive (wrk, after a warm-up); the target is the cluster ≥ 1.0× the one JVM;
 * - failed requests under load while the cluster reloads (HUP), against the one JVM restarted
 *   (TERM, then started again) under the same load: what a deploy costs either way, and how long it
 *   takes (HUP until the old workers have gone; TERM until the new JVM serves). The load sends
 *   `Connection: close`: on a keep-alive connection, a request that crosses the server's close of that
 *   idle connection fails in wrk, which does not retry it as an HTTP client would;
 * - the agent's start-up cost in each worker, as the agent reports it (`-Djcluster.agent.timing`):
 *   `premain`, what it adds before the app's `main` (the target is ≤ 50 ms); then the instrumentation
 *   of the JDK's bind and the join with the primary, both on threads beside the app's own start.
 *
 *     AppsBench [RESULTS_DIR] [APP,APP...]
 */
object AppsBench {
    private const val WORKERS = 2
    private const val WARMUP_SECONDS = 5
    private const val RUN_SECONDS = 10
    private const val MAX_DEPLOY_SECONDS = 120
    private const val LEAD_MILLIS = 2_000L
    private const val TAIL_MILLIS = 2_000L

    @JvmStatic
    fun main(args: Array<String>) {
        val resultsDir = Path.of(args.getOrElse(0) { "bench/results" })
        val only = args.getOrNull(1)?.split(',')?.toSet()
        killDescendantsOnExit()
        val results = FixtureApps.all.filter { only == null || it.name in only }.flatMap { app ->
            val java = FixtureApps.javaFor(app)
            if (java == null || !app.jar.toFile().exists()) {
                println("== ${app.name}: skipped (${if (java == null) "no JDK ${app.minJava}+" else "${app.jar} not built"})")
                return@flatMap emptyList()
            }
            runCatching { measure(app, java) }
                .onFailure { System.err.println("== ${app.name} failed, left out of the results: ${it.message}") }
                .getOrDefault(emptyList())
        }
        BenchReport("apps", results).apply { print() }.write(resultsDir)
        exitProcess(0)
    }

    private fun measure(app: FixtureApp, java: Path): List<BenchResult> {
        val single = AppRun.single(app, java).use { run -> figures(app, run, run::restart) }
        val cluster = AppRun.cluster(app, java, WORKERS).use { run -> figures(app, run, run::reload) to run.agentTimings() }
        val (load, timings) = cluster
        println("   agent: $timings")
        return listOfNotNull(
            BenchResult("${app.name}_rps", load.rps, "req/s", "one JVM", single.rps),
            BenchResult("${app.name}_deploy_failed", load.deployFailed.toDouble(), "requests", "one JVM restart", single.deployFailed.toDouble()),
            BenchResult("${app.name}_deploy_time", load.deployMillis.toDouble(), "ms", "one JVM restart", single.deployMillis.toDouble()),
            timings.premainMillis?.let { BenchResult("${app.name}_agent_premain", it, "ms") },
            timings.instrumentMillis?.let { BenchResult("${app.name}_agent_instrument", it, "ms") },
            timings.joinMillis?.let { BenchResult("${app.name}_agent_join", it, "ms") },
        )
    }

    private class Load(val rps: Double, val deployFailed: Long, val deployMillis: Long)

    /** Warm-up, a measured run, then [deploy] (which returns how long it took, ms) under load; prints every round. */
    private fun figures(app: FixtureApp, run: AppRun, deploy: () -> Long): Load {
        val wrk = Wrk("http://127.0.0.1:${run.port}/")
        println("== ${app.name} ${run.label}, port ${run.port}: ready in ${run.readyMillis} ms")
        println("   warm-up: ${wrk.run(WARMUP_SECONDS, close = false)}")
        val measured = wrk.run(RUN_SECONDS, close = false).also { println("   load: $it") }
        val (deployed, millis) = wrk.around(MAX_DEPLOY_SECONDS, close = true) {
            Thread.sleep(LEAD_MILLIS)
            deploy().also { Thread.sleep(TAIL_MILLIS) }
        }
        println("   ${if (run.isCluster) "reload (HUP)" else "restart (TERM, start)"} in $millis ms, under load with Connection: close: $deployed")
        return Load(measured.requestsPerSecond, deployed.failed, millis)
    }
}
