package io.jcluster

import io.github.oshai.kotlinlogging.KotlinLogging
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch
import sun.misc.Signal as JvmSignal

private val log = KotlinLogging.logger {}

/**
 * The signals of a [cluster]'s primary: `TERM` closes gracefully (what systemd and Kubernetes send),
 * `INT` destroys at once, `HUP` and `USR2` restart the workers gracefully (restarts coalesce),
 * `TTIN`/`TTOU` add or retire one worker. Handlers only start the work.
 */
internal object PrimarySignals {
    fun install(cluster: ManagedCluster) {
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        val actions: Map<String, suspend () -> Unit> = mapOf(
            "TERM" to { cluster.close() },
            "INT" to { cluster.destroy() },
            "HUP" to { restart(cluster) },
            "USR2" to { restart(cluster) },
            "TTIN" to { cluster.spawn(1) },
            "TTOU" to { if (cluster.workers > 1) cluster.spawn(-1) else log.warn { "TTOU ignored: the last worker stays" } },
        )
        for ((name, action) in actions) {
            runCatching { JvmSignal.handle(JvmSignal(name)) { scope.launch { runCatching { action() }.onFailure { log.warn(it) { "SIG$name failed" } } } } }
                .onFailure { log.warn { "cannot handle SIG$name here (${it.message}); it keeps the JVM's default" } }
        }
    }

    private suspend fun restart(cluster: ManagedCluster) {
        runCatching { cluster.restart() }.onFailure { log.warn { "restart failed: ${it.message}" } }
    }
}
