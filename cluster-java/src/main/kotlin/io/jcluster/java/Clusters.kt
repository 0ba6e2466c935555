package io.jcluster.java

import io.jcluster.Cluster
import io.jcluster.ClusterDatagram
import io.jcluster.ClusterListener
import io.jcluster.ListenOptions
import io.jcluster.WorkerApp
import io.jcluster.java.internal.async
import java.net.InetSocketAddress
import java.net.SocketAddress
import java.util.concurrent.CompletableFuture

/**
 * jcluster from Java. A cluster with LearnBoost's chain, whose `main` runs in the primary and in
 * every worker:
 *
 * ```java
 * public static void main(String[] args) {
 *     Clusters.builder(HelloApp.class).workers(4)
 *         .env("production", c -> c.use(Plugins.debug()))
 *         .listen(3000).run();
 * }
 * ```
 *
 * Node's `cluster` is [primary] and [worker] (with `Cluster.isPrimary()` to tell them apart).
 */
public object Clusters {
    /**
     * A cluster of [app], a class implementing [JavaWorkerApp] (or [WorkerApp]) with a no-argument
     * constructor, made only in workers: the primary never opens the app's resources.
     */
    @JvmStatic
    public fun builder(app: Class<*>): ClusterBuilder {
        require(JavaWorkerApp::class.java.isAssignableFrom(app) || WorkerApp::class.java.isAssignableFrom(app)) {
            "builder(${app.name}): the class must implement JavaWorkerApp (or WorkerApp), with a no-argument constructor"
        }
        return ClusterBuilder(WorkerApp.lazy { appOf(app.getDeclaredConstructor().newInstance()) })
    }

    /** A cluster whose workers serve [app] (a lambda `context -> …` will do). */
    @JvmStatic
    public fun builder(app: JavaWorkerApp): ClusterBuilder = ClusterBuilder(app.asWorkerApp())

    /** A cluster whose workers serve [app]: an HTTP adapter's, such as `JdkHttp.app(handler)`. */
    @JvmStatic
    public fun builder(app: WorkerApp): ClusterBuilder = ClusterBuilder(app)

    /** This process's primary (Node's `cluster` in the primary); only in the primary. */
    @JvmStatic
    public fun primary(): JavaPrimary = JavaPrimary.of(Cluster.primary)

    /** This worker (Node's `cluster.worker`); only in a worker. */
    @JvmStatic
    public fun worker(): JavaWorker = JavaWorker.of(Cluster.worker)

    /**
     * Listens on [address] the way `server.listen` does in a Node worker: the primary binds it once and
     * shares it with every worker (see `Cluster.listen`). Serve on the listener, then call its `listening()`.
     */
    @JvmStatic
    @JvmOverloads
    public fun listen(address: SocketAddress, options: ListenOptions = ListenOptions()): CompletableFuture<ClusterListener> =
        async { Cluster.listen(address, options) }

    /** [listen] on [port] of [host] (null: every local address). */
    @JvmStatic
    @JvmOverloads
    public fun listen(port: Int, host: String? = null, options: ListenOptions = ListenOptions()): CompletableFuture<ClusterListener> =
        async { Cluster.listen(port, host, options) }

    /**
     * Binds a UDP socket on [address] that every worker shares (Node's `dgram` in a cluster): each
     * datagram reaches one of the workers, and any of them can answer from it (see `ClusterDatagram`).
     */
    @JvmStatic
    public fun listenDatagram(address: InetSocketAddress): CompletableFuture<ClusterDatagram> = async { Cluster.listenDatagram(address) }

    /** [listenDatagram] on [port] of [host] (null: every local address). */
    @JvmStatic
    @JvmOverloads
    public fun listenDatagram(port: Int, host: String? = null): CompletableFuture<ClusterDatagram> = async { Cluster.listenDatagram(port, host) }

    private fun appOf(instance: Any): WorkerApp = instance as? WorkerApp ?: (instance as JavaWorkerApp).asWorkerApp()
}
