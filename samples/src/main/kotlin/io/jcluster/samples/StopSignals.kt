package io.jcluster.samples

import sun.misc.Signal
import java.util.concurrent.atomic.AtomicBoolean

/**
 * Runs an action once on the first `INT` (Ctrl-C) or `TERM`, instead of the JVM's immediate exit, so
 * a primary can stop its workers gracefully. A second signal during the stop is ignored.
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
}
