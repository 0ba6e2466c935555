package io.jcluster.ops

import io.jcluster.ClusterPlugin
import io.jcluster.ManagedCluster
import io.jcluster.PrimaryState
import io.github.oshai.kotlinlogging.KotlinLogging
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeoutOrNull
import kotlin.time.Duration
import kotlin.time.Duration.Companion.microseconds

private val log = KotlinLogging.logger {}

/**
 * [Plugins.systemd]: tells systemd (a `Type=notify` service) how the primary is, over `sd_notify`'s
 * datagram socket: `READY=1` once every slot has a ready worker, `RELOADING=1` then `READY=1` around a
 * restart, `STOPPING=1` when it closes, and a `STATUS=` line with each. Under `WatchdogSec=` (systemd
 * sets `WATCHDOG_USEC`) it sends `WATCHDOG=1` every half period, each time only after the primary's
 * loop has answered: a wedged primary stops feeding the watchdog and systemd restarts the service.
 * Does nothing without `NOTIFY_SOCKET`. [cluster] adds it by itself when `NOTIFY_SOCKET` is set.
 *
 * In an upgrade ([ManagedCluster.upgrade]) the old primary, still the service's main process, sends
 * `MAINPID=` with the new one's pid once that one is ready, and never `STOPPING=1`; the new one stays
 * silent until it took over, then sends `MAINPID=` (its own), `READY=1` and `WATCHDOG=1`, and feeds
 * the watchdog from then on. A new primary is a child of the old one: systemd takes its own
 * notifications only under `NotifyAccess=all` (the old one's `MAINPID=` is enough under `main`).
 */
internal class SystemdPlugin(private val notify: SdNotify?) : ClusterPlugin {
    override val name: String = "systemd"
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Unconfined)
    @Volatile private var stopping = false
    @Volatile private var tookOver = false

    override fun onStarting(cluster: ManagedCluster) {
        val notify = notify ?: return
        if (cluster.predecessor != null) return watchStates(cluster, notify) // the old primary speaks for the service until this one took over
        notify.send("MAINPID=${ProcessHandle.current().pid()}", "STATUS=starting")
        watchdogPeriod()?.let { period -> feedWatchdog(cluster, notify, period / 2) }
        watchStates(cluster, notify)
    }

    override fun onHandedOver(cluster: ManagedCluster, successor: Long) {
        notify?.send("MAINPID=$successor", "STATUS=handed over to the new primary, pid $successor")
    }

    override fun onUpgraded(cluster: ManagedCluster, predecessor: Long) {
        val notify = notify ?: return
        tookOver = true
        notify.send("MAINPID=${ProcessHandle.current().pid()}", "READY=1", "WATCHDOG=1", status(cluster))
        // WATCHDOG_PID, if set, is the old primary's: this one is the main process now.
        watchdogPeriod(anyPid = true)?.let { period -> feedWatchdog(cluster, notify, period / 2) }
    }

    private fun watchStates(cluster: ManagedCluster, notify: SdNotify) {
        scope.launch(start = CoroutineStart.UNDISPATCHED) {
            var last = cluster.state.value
            cluster.state.collect { state ->
                when {
                    state == PrimaryState.RESTARTING -> notify.send("RELOADING=1", "MONOTONIC_USEC=${System.nanoTime() / 1000}", "STATUS=restarting the workers")
                    state == PrimaryState.ACTIVE && last == PrimaryState.RESTARTING -> notify.send("READY=1", status(cluster))
                    state == PrimaryState.CLOSING -> stop(cluster, notify)
                    else -> Unit
                }
                last = state
            }
        }
    }

    override fun whenReady(cluster: ManagedCluster) {
        if (cluster.predecessor == null) notify?.send("READY=1", status(cluster))
    }

    override fun onWorkersChanged(cluster: ManagedCluster, from: Int, to: Int) {
        notify?.send("STATUS=workers wanted: $from -> $to")
    }

    override fun onExit(cluster: ManagedCluster) {
        scope.cancel()
        notify?.let { stop(cluster, it); it.close() }
    }

    /** `WATCHDOG_USEC`, when it is meant for this process (`WATCHDOG_PID` unset or this pid). */
    private fun watchdogPeriod(anyPid: Boolean = false): Duration? {
        val usec = System.getenv("WATCHDOG_USEC")?.toLongOrNull()?.takeIf { it > 0 } ?: return null
        val pid = System.getenv("WATCHDOG_PID")?.toLongOrNull()
        return if (anyPid || pid == null || pid == ProcessHandle.current().pid()) usec.microseconds else null
    }

    private fun feedWatchdog(cluster: ManagedCluster, notify: SdNotify, every: Duration) = scope.launch(Dispatchers.Default) {
        while (true) {
            delay(every)
            if (withTimeoutOrNull(every) { cluster.awaitResponsive() } != null) notify.send("WATCHDOG=1")
            else log.warn { "the primary's loop did not answer within $every: systemd's watchdog is not fed" }
        }
    }

    /**
     * `STOPPING=1`, once; not from an old primary that handed over, nor from a new one that never took
     * over: either way the service goes on in the other one.
     */
    private fun stop(cluster: ManagedCluster, notify: SdNotify) {
        if (stopping || cluster.successor != null || (cluster.predecessor != null && !tookOver)) return
        stopping = true
        notify.send("STOPPING=1", "STATUS=stopping")
    }

    private fun status(cluster: ManagedCluster) = "STATUS=${cluster.primary.activeWorkers().size} of ${cluster.workers} workers ready"
}
