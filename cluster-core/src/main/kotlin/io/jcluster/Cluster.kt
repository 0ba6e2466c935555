package io.jcluster

import io.jcluster.internal.DatagramHandle
import io.jcluster.internal.OnlineAnnouncement
import io.jcluster.internal.WorkerEnvironment
import io.jcluster.internal.WorkerRuntime
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import java.net.InetSocketAddress
import java.net.SocketAddress

/**
 * Node's `cluster` module. The same `main` runs in the primary and in every worker; the environment
 * the primary gives its workers decides which role a process has:
 *
 * ```
 * if (Cluster.isPrimary) {
 *     repeat(4) { Cluster.fork() }
 * } else {
 *     Cluster.worker.send(Hello(Cluster.worker.id))
 * }
 * ```
 *
 * In a worker, touching `Cluster` at all announces it to its primary, which then sees it online, and
 * connects it.
 */
public object Cluster {
    private val environment = WorkerEnvironment.current

    init {
        // First of all, in a worker: its primary sees it online while the rest of jcluster loads.
        environment?.let(OnlineAnnouncement::announce)
    }

    /** True in a worker process. */
    @JvmStatic
    public val isWorker: Boolean = environment != null

    /** True in the primary process (any process not started as a worker). */
    @JvmStatic
    public val isPrimary: Boolean = !isWorker

    /** [isPrimary], by the name Node used first. */
    @JvmStatic
    public val isMaster: Boolean get() = isPrimary

    /** This worker, in a worker process. */
    @JvmStatic
    public val worker: CurrentWorker by lazy {
        check(isWorker) { "Cluster.worker exists only in a worker process; in the primary, use Cluster.workers or the Worker from fork()" }
        CurrentWorker(WorkerRuntime(environment!!))
    }

    /** The primary of this process, in the primary. */
    @JvmStatic
    public val primary: Primary by lazy {
        check(isPrimary) { "this process is worker ${environment?.workerId}: only the primary can fork or watch workers; use Cluster.worker here" }
        Primary()
    }

    init {
        if (isWorker) worker
    }

    /** Starts a worker; see [Primary.fork]. */
    @JvmStatic
    @JvmOverloads
    public fun fork(environment: Map<String, String> = emptyMap()): Worker = primary.fork(environment)

    /** The live workers by id; see [Primary.workers]. */
    @JvmStatic
    public val workers: StateFlow<Map<Int, Worker>> get() = primary.workers

    /** Every worker's events; see [Primary.events]. */
    @JvmStatic
    public val events: SharedFlow<ClusterEvent> get() = primary.events

    /** The settings for later forks; see [Primary.settings]. */
    @JvmStatic
    public val settings: ClusterSettings get() = primary.settings

    /** Node's `setupPrimary`: changes the settings for later forks. */
    @JvmSynthetic // Java: Clusters.primary().setup()
    public suspend fun setupPrimary(change: (ClusterSettings) -> ClusterSettings): ClusterSettings = primary.setup(change)

    /** Disconnects every worker; returns once all are gone. */
    @JvmSynthetic // Java: Clusters.primary().disconnect()
    public suspend fun disconnect(): Unit = primary.disconnect()

    /**
     * Listens on [address] the way `server.listen` does in a Node worker. In a worker, the primary
     * binds the socket once for all workers and shares it under the listener's [SharingStrategy]
     * (`listen(0)`: every worker gets the same real port); with [ListenOptions.exclusive], or in the
     * primary, this process binds alone. A server adapter serves on the [ClusterListener] and calls
     * its `listening()` once it accepts.
     *
     * @throws java.net.BindException if the port is in use, privileged, or the address is not this
     *   machine's; the message names the address.
     */
    @JvmSynthetic
    public suspend fun listen(address: SocketAddress, options: ListenOptions = ListenOptions()): ClusterListener =
        if (isWorker) worker.runtime.listen(address, options) else ClusterListener.local(address, options.backlog) {}

    /**
     * Binds a UDP socket on [address] that every worker shares, as Node's `dgram` does in a cluster:
     * in a worker the primary binds it once (`port 0`: every worker gets the same real port) and each
     * datagram reaches one of the workers; in the primary, this process binds alone. See [ClusterDatagram].
     *
     * @throws java.net.BindException if the port is in use, or the address is not this machine's.
     */
    @JvmSynthetic
    public suspend fun listenDatagram(address: InetSocketAddress): ClusterDatagram =
        if (isWorker) worker.runtime.listenDatagram(address) else DatagramHandle.bind(address).let { channel ->
            ClusterDatagram(channel.localAddress as InetSocketAddress, channel.configureBlocking(true) as java.nio.channels.DatagramChannel, channel::close)
        }

    /** [listenDatagram] on [port] of [host] (null: every local address). */
    @JvmSynthetic
    public suspend fun listenDatagram(port: Int, host: String? = null): ClusterDatagram =
        listenDatagram(if (host == null) InetSocketAddress(port) else InetSocketAddress(host, port))

    /** [listen] on [port] of [host] (null: every local address). */
    @JvmSynthetic
    public suspend fun listen(port: Int, host: String? = null, options: ListenOptions = ListenOptions()): ClusterListener =
        listen(if (host == null) InetSocketAddress(port) else InetSocketAddress(host, port), options)
}
