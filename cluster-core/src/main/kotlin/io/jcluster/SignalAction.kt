package io.jcluster

import io.jcluster.internal.Resize

/**
 * What the primary of a [cluster] does when it receives a signal: one entry of [ClusterConfig.signals].
 * It runs on a coroutine of its own, off the signal dispatcher; one that throws is logged.
 */
public fun interface SignalAction {
    /** Does it to [cluster]. */
    public suspend fun perform(cluster: ManagedCluster)

    public companion object {
        /** Closes gracefully: every worker finishes its requests ([ManagedCluster.close]). The default of `TERM`. */
        @JvmField
        public val CLOSE: SignalAction = named("close") { it.close() }

        /** Stops at once ([ManagedCluster.destroy]). The default of `INT`. */
        @JvmField
        public val DESTROY: SignalAction = named("destroy") { it.destroy() }

        /** Replaces every worker without downtime ([ManagedCluster.restart]); bursts coalesce. The default of `HUP` and `USR2`. */
        @JvmField
        public val RESTART: SignalAction = named("restart") { it.restart() }

        /**
         * Starts a new primary the same way as this one and hands it the cluster ([ManagedCluster.upgrade]):
         * new code, plugins and settings with no connection dropped. No signal does it by default (`USR2`
         * restarts the workers): bind one with `signals { on(Signal.USR2, SignalAction.UPGRADE) }`.
         */
        @JvmField
        public val UPGRADE: SignalAction = named("upgrade") { it.upgrade() }

        /** One worker more ([ManagedCluster.spawn]). The default of `TTIN`. */
        @JvmField
        public val SPAWN_ONE: SignalAction = named("spawn one") { it.spawn(1) }

        /** One worker fewer, never the last. The default of `TTOU`. */
        @JvmField
        public val RETIRE_ONE: SignalAction = named("retire one") {
            // The loop checks the floor, in order with the other changes: a count read here could be stale.
            it.resize(Resize.By(-1, floor = 1)).refused?.let { why -> throw IllegalStateException(why) }
        }

        /** Every plugin reopens its log files ([ManagedCluster.reopenLogs]), after logrotate moved them. The default of `USR1`. */
        @JvmField
        public val REOPEN_LOGS: SignalAction = named("reopen logs") { it.reopenLogs() }

        private fun named(name: String, action: suspend (ManagedCluster) -> Unit): SignalAction = object : SignalAction {
            override suspend fun perform(cluster: ManagedCluster) = action(cluster)
            override fun toString(): String = name
        }
    }
}

/**
 * The signals a [cluster]'s primary handles, and how ([ClusterConfig.signals]); starts with
 * [DEFAULTS]. A signal taken out with [remove] keeps the JVM's own behaviour (for `TERM`, `INT`
 * and `HUP`: run the shutdown hooks, which kill the workers, and exit).
 *
 * Only [HANDLEABLE] signals can be given an action: HotSpot keeps `QUIT` for thread dumps (so
 * LearnBoost's `QUIT` = graceful shutdown is `TERM` here), and `KILL`, `STOP`, `SEGV`… cannot be
 * handled by any program.
 */
@ClusterDsl
public class SignalMap internal constructor() {
    private val actions = LinkedHashMap(DEFAULTS)

    /** The action for [signal], or null if the primary leaves it to the JVM. */
    public operator fun get(signal: Signal): SignalAction? = actions[signal]

    /** [signal] does [action] from now on. */
    public operator fun set(signal: Signal, action: SignalAction) {
        require(signal in HANDLEABLE) {
            "the JVM cannot handle SIG$signal" + (if (signal == Signal.QUIT) " (HotSpot prints thread dumps on it; graceful shutdown is TERM)" else "") +
                "; these can be: ${HANDLEABLE.joinToString()}"
        }
        actions[signal] = action
    }

    /** [set], in a DSL's words: `signals { on(Signal.WINCH) { it.spawn(1) } }`. */
    public fun on(signal: Signal, action: SignalAction) {
        set(signal, action)
    }

    /** The primary no longer handles [signal]: the JVM's default applies. */
    public fun remove(signal: Signal) {
        actions.remove(signal)
    }

    /** The signals and their actions, in the order they were set. */
    public fun toMap(): Map<Signal, SignalAction> = actions.toMap()

    override fun toString(): String = actions.toString()

    public companion object {
        /** The signals a HotSpot JVM lets a program handle. */
        @JvmField
        public val HANDLEABLE: Set<Signal> = setOf(
            Signal.TERM, Signal.INT, Signal.HUP, Signal.USR1, Signal.USR2, Signal.TTIN, Signal.TTOU, Signal.WINCH,
        )

        /** `TERM` close, `INT` destroy, `HUP`/`USR2` restart, `TTIN`/`TTOU` one worker more/less, `USR1` reopen logs. */
        @JvmField
        public val DEFAULTS: Map<Signal, SignalAction> = linkedMapOf(
            Signal.TERM to SignalAction.CLOSE,
            Signal.INT to SignalAction.DESTROY,
            Signal.HUP to SignalAction.RESTART,
            Signal.USR2 to SignalAction.RESTART,
            Signal.TTIN to SignalAction.SPAWN_ONE,
            Signal.TTOU to SignalAction.RETIRE_ONE,
            Signal.USR1 to SignalAction.REOPEN_LOGS,
        )
    }
}
