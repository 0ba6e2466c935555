package io.jcluster

import java.net.SocketAddress

/**
 * What a worker serves, for [cluster]: the DSL instantiates it only in workers (pass a factory or a
 * class, and the primary never opens the app's database connections), then calls [serve] once. The
 * HTTP adapters make one from a handler (`JdkHttp.app { exchange -> … }`).
 */
public fun interface WorkerApp {
    /** Starts serving on the addresses in [context]; may return at once (servers run on) or suspend. */
    public suspend fun serve(context: WorkerContext)

    public companion object {
        /** An app that [factory] makes when a worker serves it: the primary never calls [factory]. */
        @JvmStatic
        public fun lazy(factory: () -> WorkerApp): WorkerApp = WorkerApp { context -> factory().serve(context) }
    }
}

/**
 * What the DSL tells a [WorkerApp]: where to listen (each address with `Cluster.listen`, shared with the
 * other workers as [options] say), and this [worker].
 */
public class WorkerContext internal constructor(
    /** The addresses of `listen(…)` in the configuration, in order. */
    public val addresses: List<SocketAddress>,
    /** The backlog and strategy the configuration set. */
    public val options: ListenOptions,
    /** This worker. */
    public val worker: CurrentWorker,
    /** The cluster environment (`JCLUSTER_ENV`). */
    public val environment: String,
)
