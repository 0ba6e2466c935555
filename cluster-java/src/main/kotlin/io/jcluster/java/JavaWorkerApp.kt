package io.jcluster.java

import io.jcluster.WorkerApp
import io.jcluster.WorkerContext
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runInterruptible

/**
 * What a worker serves, for Java: [WorkerApp] without the suspension. [serve] starts the app's
 * servers on the addresses in the context (with `Clusters.listen`, or an HTTP adapter's `serve`) and
 * may return at once; the worker serves on until it disconnects.
 *
 * ```java
 * public final class HelloApp implements JavaWorkerApp {
 *     public void serve(WorkerContext context) { … }
 * }
 * ```
 */
public fun interface JavaWorkerApp {
    /** Starts serving; runs on a thread that may block. */
    @Throws(Exception::class)
    public fun serve(context: WorkerContext)
}

/** The core's app for [this]: [JavaWorkerApp.serve] runs on the IO dispatcher. */
internal fun JavaWorkerApp.asWorkerApp(): WorkerApp = WorkerApp { context -> runInterruptible(Dispatchers.IO) { serve(context) } }
