package io.jcluster.samples

import sun.misc.Signal
import java.util.concurrent.atomic.AtomicBoolean

/**
 * The main job's signals: the first `INT` (Ctrl-C) or `TERM` runs a stop action instead of the JVM's
 * immediate exit, so a primary can stop its workers gracefully (a second one during the stop is
 * ignored); each `HUP` runs a reload action, each `TTIN` and `TTOU` a scale action, each `USR1` a
 * log reopening.
 */
object StopSignals {
    fun onStop(action: () -> Unit) {
        val started = AtomicBoolean(false)
        for (name in listOf("INT", "TERM")) {
            Signal.handle(Signal(name)) {
                if (started.compareAndSet(false, true)) Thread(action, "hello-cluster-stop").start()
            }
        }
    }

    /** Runs [action] on each `USR1` (the JVM's default for it would end the primary). */
    fun onReopenLogs(action: () -> Unit) {
        Signal.handle(Signal("USR1")) { action() }
    }

    /** Runs [action] with +1 on each `TTIN` and -1 on each `TTOU` (on the signal thread: it must only start the work). */
    fun onScale(action: (Int) -> Unit) {
        Signal.handle(Signal("TTIN")) { action(1) }
        Signal.handle(Signal("TTOU")) { action(-1) }
    }

    /** Runs [action] on each `HUP` (on the signal thread: it must only start the work). */
    fun onReload(action: () -> Unit) {
        Signal.handle(Signal("HUP")) { action() }
    }
}
