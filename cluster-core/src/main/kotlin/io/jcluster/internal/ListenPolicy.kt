package io.jcluster.internal

import io.jcluster.SharingStrategy
import io.jcluster.StickySessions

/**
 * How a worker's listen is shared, from what it asked for and the cluster's defaults: the strategy
 * and, under round-robin, the sticky sessions (a listener that wants them is round-robin unless it
 * names another strategy).
 */
internal data class ListenPolicy(val strategy: SharingStrategy, val sticky: StickySessions?) {
    companion object {
        /** The policy for [request], or a one-line reason it cannot be met. */
        fun of(request: ControlMessage.Listen, strategy: SharingStrategy, sticky: StickySessions?): Result<ListenPolicy> {
            val wantsSticky = when (request.sticky) {
                true -> sticky ?: StickySessions.CLIENT_IP
                false -> null
                null -> sticky
            }
            val chosen = request.strategy ?: if (wantsSticky != null) SharingStrategy.ROUND_ROBIN else strategy
            // A Unix-domain socket has no SO_REUSEPORT group: reuse-port means shared there.
            val effective = if (chosen == SharingStrategy.REUSE_PORT && request.address.path != null) SharingStrategy.SHARED else chosen
            if (wantsSticky != null && effective != SharingStrategy.ROUND_ROBIN && request.sticky == true) {
                return Result.failure(IllegalArgumentException(
                    "sticky sessions route round-robin connections, and listen(${request.address}) asks for $effective: use round-robin or sticky = false"))
            }
            return Result.success(ListenPolicy(effective, wantsSticky.takeIf { effective == SharingStrategy.ROUND_ROBIN }))
        }
    }
}
