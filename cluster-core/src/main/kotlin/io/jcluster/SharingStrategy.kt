package io.jcluster

/**
 * How the workers of a cluster share one listening port (Node's `cluster.schedulingPolicy`, and one more).
 * Set it for the cluster ([ClusterSettings.strategy]), per listener ([ListenOptions.strategy]), or for a
 * whole deployment with the environment variable [ENVIRONMENT_VARIABLE] (`shared`, `round-robin`,
 * `reuse-port`; Node's `none` and `rr` are understood too), which sets the default (a strategy set in code wins over it).
 */
public enum class SharingStrategy(public val configName: String) {
    /** The primary binds; the listening socket's fd goes to every worker, and the workers accept (Node's `SCHED_NONE`). */
    SHARED("shared"),

    /**
     * The primary binds and accepts, and hands each connection's fd to the next worker in turn (Node's
     * `SCHED_RR`), skipping workers that are disconnecting or have too many hand-offs unanswered.
     */
    ROUND_ROBIN("round-robin"),

    /**
     * Every worker binds its own socket with `SO_REUSEPORT` and the Linux kernel spreads connections.
     * With `net.ipv4.tcp_migrate_req=0` (the default) connections queued at a listener that closes are
     * reset; a worker closing such a listener therefore first waits until another worker listens.
     */
    REUSE_PORT("reuse-port"),
    ;

    override fun toString(): String = configName

    public companion object {
        /** The environment variable that overrides the strategy of every listener of a cluster. */
        public const val ENVIRONMENT_VARIABLE: String = "JCLUSTER_SCHED_POLICY"

        /** The strategy named [name] (`shared`, `round-robin`, `reuse-port`, or Node's `none`/`rr`). */
        @JvmStatic
        public fun parse(name: String): SharingStrategy = when (name.trim().lowercase()) {
            "shared", "none" -> SHARED
            "round-robin", "roundrobin", "rr" -> ROUND_ROBIN
            "reuse-port", "reuseport" -> REUSE_PORT
            else -> throw IllegalArgumentException("unknown sharing strategy '$name': use shared, round-robin or reuse-port")
        }

        /** The strategy [ENVIRONMENT_VARIABLE] asks for, or null. */
        internal fun fromEnvironment(env: Map<String, String> = System.getenv()): SharingStrategy? =
            env[ENVIRONMENT_VARIABLE]?.takeIf { it.isNotBlank() }?.let { value ->
                runCatching { parse(value) }.getOrElse { throw IllegalArgumentException("$ENVIRONMENT_VARIABLE: ${it.message}") }
            }
    }
}
