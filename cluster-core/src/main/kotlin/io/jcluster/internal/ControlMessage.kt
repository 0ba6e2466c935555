package io.jcluster.internal

import io.jcluster.SharingStrategy
import kotlinx.serialization.SerialName
import kotlinx.serialization.Serializable
import java.net.InetSocketAddress
import java.net.SocketAddress
import java.net.UnixDomainSocketAddress

/**
 * The framework's own protocol between primary and worker, on the control lane. Application code
 * never sees it. A message a side does not know is logged and dropped (see `IpcConnection.errors`).
 *
 * One sealed type per direction, [ToPrimary] and [ToWorker], so that each side's `when` is
 * exhaustive; this root exists for the lane's codec alone. Each side narrows what it receives in
 * one place (`ControlServer`, `WorkerRuntime`) and treats a message of the other direction as
 * malformed input.
 */
@Serializable
internal sealed interface ControlMessage {
    /** What a worker sends its primary. */
    @Serializable
    sealed interface ToPrimary : ControlMessage

    /** What the primary sends a worker. */
    @Serializable
    sealed interface ToWorker : ControlMessage

    /** Worker → primary, first message: who it is, with the one-time token from its environment. */
    @Serializable @SerialName("hello")
    data class Hello(val workerId: Int, val token: String) : ToPrimary

    /** Primary → worker: close your servers, finish your work, exit. */
    @Serializable @SerialName("disconnect")
    data object Disconnect : ToWorker

    /** Worker → primary: I am disconnecting on my own (`Cluster.worker.disconnect()`). */
    @Serializable @SerialName("disconnecting")
    data object Disconnecting : ToPrimary

    /**
     * Worker → primary: I am about to exit with [code] (`Cluster.worker.exit()`, `destroy()`). The JDK
     * reads a death by signal N as exit value 128 + N; this tells the two apart.
     */
    @Serializable @SerialName("exiting")
    data class Exiting(val code: Int) : ToPrimary

    /**
     * Worker → primary: a server of mine accepts connections on [address]. [lease] names the listener
     * the primary granted, or is null for one the worker bound alone (exclusive).
     */
    @Serializable @SerialName("listening")
    data class Listening(val address: WireAddress, val lease: Int? = null) : ToPrimary

    /**
     * Worker → primary, a call: give me a listener on [address]; answered by [ListenGranted] or
     * [ListenFailed]. [index] counts this worker's `listen(0)` calls on one address, as in Node: the
     * n-th such listener of every worker shares one port, and two in one worker get two ports.
     * [sticky]: `ListenOptions.sticky` (null: the cluster's choice). [datagram]: a UDP socket, which every
     * worker shares ([strategy], [backlog] and [sticky] mean nothing for it).
     */
    @Serializable @SerialName("listen")
    data class Listen(
        val address: WireAddress,
        val backlog: Int,
        val strategy: SharingStrategy? = null,
        val index: Int = 0,
        val sticky: Boolean? = null,
        val datagram: Boolean = false,
    ) : ToPrimary

    /**
     * Primary → worker, the reply to [Listen]: [lease] is this worker's use of the listener, bound on
     * [address] (the real port). Under `shared` the listening socket travels with the reply.
     */
    @Serializable @SerialName("listen-granted")
    data class ListenGranted(val lease: Int, val strategy: SharingStrategy, val address: WireAddress) : ToWorker

    /** Primary → worker, the reply to [Listen] when the bind failed; [reason] names the address. */
    @Serializable @SerialName("listen-failed")
    data class ListenFailed(val reason: String) : ToWorker

    /**
     * Worker → primary, a call: I no longer use [lease]. The reply ([Unlistened]) comes once the
     * worker may close its socket without losing connections (under `reuse-port`: once another worker listens).
     */
    @Serializable @SerialName("unlisten")
    data class Unlisten(val lease: Int) : ToPrimary

    /** Primary → worker: the reply to [Unlisten]. */
    @Serializable @SerialName("unlistened")
    data object Unlistened : ToWorker

    /**
     * Primary → worker, with a connection's fd, one-way: serve this connection of [lease]
     * (round-robin). The worker acknowledges the connections it takes in batches ([HandoffsTaken]) and
     * gives back one it refuses ([HandoffRefused]). [refusedBy]: the leases that refused it already.
     */
    @Serializable @SerialName("handoff")
    data class Handoff(val lease: Int, val refusedBy: List<Int> = emptyList()) : ToWorker

    /** Worker → primary: [count] more connections handed on [lease] were taken. */
    @Serializable @SerialName("handoffs-taken")
    data class HandoffsTaken(override val lease: Int, val count: Int) : HandoffAnswer

    /**
     * Worker → primary, with the connection's fd: a connection handed on [lease] was refused; the
     * primary gives it to a worker not in [refusedBy] (the [Handoff]'s, with [lease] added).
     */
    @Serializable @SerialName("handoff-refused")
    data class HandoffRefused(override val lease: Int, val refusedBy: List<Int>) : HandoffAnswer

    /** Worker → primary: a worker's answer to round-robin [Handoff]s of [lease]. */
    @Serializable
    sealed interface HandoffAnswer : ToPrimary {
        val lease: Int
    }

    /** Worker → primary: I am ready (`Cluster.worker.ready()`; counts under `readyWhen = READY`). */
    @Serializable @SerialName("ready")
    data object Ready : ToPrimary

    /** Primary → worker: the heartbeat; answer with [Pong] carrying the same [seq]. */
    @Serializable @SerialName("ping")
    data class Ping(val seq: Long) : ToWorker

    /**
     * Worker → primary: the answer to [Ping] [seq], sent once the worker's coroutine pool and its
     * liveness checks have run; [liveHeap] is the heap in use after the last collection, in bytes;
     * [requests] and [openConnections] are the sums of the worker's load sources (its servers);
     * [vitals], what its JVM says of its health.
     */
    @Serializable @SerialName("pong")
    data class Pong(val seq: Long, val liveHeap: Long, val requests: Long = 0, val openConnections: Int = 0, val vitals: Vitals = Vitals()) : ToPrimary

    /**
     * Primary → worker, to a warm standby: you now serve [slot]. The standby's calls that wait for it
     * (`listen`, `ready`, `send`, `slot`) go on.
     */
    @Serializable @SerialName("promote")
    data class Promote(val slot: Int) : ToWorker

    /**
     * Primary → worker, with one end of a socket pair: the pipe [name] (`Worker.openPipe`), which the
     * worker's `pipe(name)` returns.
     */
    @Serializable @SerialName("pipe")
    data class PipeOpened(val name: String) : ToWorker

    /** Worker → primary: replace me gracefully; [reason] is why (it served its `maxRequests`). */
    @Serializable @SerialName("recycle")
    data class Recycle(val reason: RecycleReason) : ToPrimary
}

/** Why a worker asks to be replaced. */
@Serializable
internal enum class RecycleReason {
    @SerialName("max-requests") MAX_REQUESTS,
}

/** A socket address on the wire: a TCP host and port, or a Unix-domain socket path. */
@Serializable
internal data class WireAddress(val host: String? = null, val port: Int = 0, val path: String? = null) {
    fun toSocketAddress(): SocketAddress = when {
        path != null -> UnixDomainSocketAddress.of(path)
        host == null -> InetSocketAddress(port)
        else -> InetSocketAddress(host, port)
    }

    override fun toString(): String = path ?: "${host ?: "*"}:$port"

    companion object {
        fun of(address: SocketAddress): WireAddress = when (address) {
            is UnixDomainSocketAddress -> WireAddress(path = address.path.toString())
            is InetSocketAddress -> WireAddress(host = if (address.isUnresolved) address.hostString else address.address.hostAddress, port = address.port)
            else -> throw IllegalArgumentException("cannot listen on $address: only TCP (InetSocketAddress) and Unix-domain (UnixDomainSocketAddress) addresses")
        }
    }
}
