package io.jcluster

import io.github.oshai.kotlinlogging.KotlinLogging
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch
import java.lang.management.ManagementFactory
import sun.misc.Signal as JvmSignal
import sun.misc.SignalHandler

private val log = KotlinLogging.logger {}

/**
 * Installs a [cluster]'s [SignalMap]. Handlers only start the work, each on a coroutine of its own;
 * a burst of one signal costs little (the kernel merges pending ones, and [Primary.reload] coalesces
 * restarts). Two ways a handler can be installed and still never run are reported at start:
 * `-Xrs` (HotSpot then refuses or ignores signal handlers), and a signal the process inherited as
 * ignored (`nohup` ignores `HUP`; a shell starting a job in the background without job control
 * ignores `INT`): HotSpot keeps `HUP`, `INT` and `TERM` ignored rather than handle them.
 */
internal object PrimarySignals {
    private val SHUTDOWN_SIGNALS = setOf(Signal.HUP, Signal.INT, Signal.TERM)

    fun install(cluster: ManagedCluster, actions: Map<Signal, SignalAction>) {
        if ("-Xrs" in ManagementFactory.getRuntimeMXBean().inputArguments) {
            log.warn { "this JVM runs with -Xrs: signal handlers are disabled, and ${actions.keys.joinToString()} will not reach the cluster" }
        }
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        for ((signal, action) in actions) {
            val handler = SignalHandler { scope.launch { perform(cluster, signal, action) } }
            val before = try {
                JvmSignal.handle(JvmSignal(signal.name), handler)
            } catch (e: IllegalArgumentException) {
                log.warn { "cannot handle SIG$signal here (${e.message}); it keeps the JVM's default" }
                continue
            }
            if (before == SignalHandler.SIG_IGN && signal in SHUTDOWN_SIGNALS) {
                log.warn { "SIG$signal is ignored in this process (inherited from whoever started it: nohup, or a shell's background job), so it will not $action the cluster" }
            }
        }
    }

    private suspend fun perform(cluster: ManagedCluster, signal: Signal, action: SignalAction) {
        log.info { "SIG$signal: $action" }
        try {
            action.perform(cluster)
        } catch (e: Exception) {
            log.warn { "SIG$signal ($action) failed: ${e.message}" }
        }
    }
}
