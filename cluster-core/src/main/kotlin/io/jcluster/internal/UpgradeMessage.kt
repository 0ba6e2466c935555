package io.jcluster.internal

import io.jcluster.SharingStrategy
import kotlinx.serialization.SerialName
import kotlinx.serialization.Serializable

/**
 * What an old primary and the new one it started say during an upgrade, on the control lane of one
 * [io.jcluster.ipc.IpcConnection] over a private socket: the new one says [Hello]; the old one sends a
 * [Listener] per port (with the listening socket's descriptor, except under reuse-port) and then
 * [HandedOver]; once every slot of the new one has a ready worker, it calls [Ready], and the old one
 * answers [TakeOver] (or an error, if it gave up on the upgrade meanwhile).
 */
@Serializable
internal sealed interface UpgradeMessage {
    /** New → old, first: the one-time token from its environment. */
    @Serializable @SerialName("hello")
    data class Hello(val token: String) : UpgradeMessage

    /**
     * Old → new: the listener the old primary bound for [key] (what workers asked for: port 0 stays 0),
     * now on [bound], shared under [strategy]; its descriptor comes with it, but for reuse-port.
     */
    @Serializable @SerialName("listener")
    data class Listener(val key: WireKey, val bound: WireAddress, val strategy: SharingStrategy) : UpgradeMessage

    /** Old → new: every listener was sent; number new workers from [nextWorkerId] on. */
    @Serializable @SerialName("handed-over")
    data class HandedOver(val nextWorkerId: Int) : UpgradeMessage

    /** New → old (a call): every slot has a ready worker. */
    @Serializable @SerialName("ready")
    data object Ready : UpgradeMessage

    /** Old → new (the reply to [Ready]): the old primary's workers drain now, and it exits. */
    @Serializable @SerialName("take-over")
    data object TakeOver : UpgradeMessage
}

/** A [PortKey] on the wire. */
@Serializable
internal data class WireKey(val address: WireAddress, val backlog: Int, val index: Int, val datagram: Boolean = false) {
    fun toKey() = PortKey(address, backlog, index, datagram)

    companion object {
        fun of(key: PortKey) = WireKey(key.address, key.backlog, key.index, key.datagram)
    }
}
