package io.jcluster

import java.net.InetSocketAddress
import java.net.SocketAddress
import java.nio.file.Path
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/** Marks the [cluster] DSL, so that an inner block cannot reach an outer receiver by accident. */
@DslMarker
public annotation class ClusterDsl

/**
 * The configuration block of [cluster] (LearnBoost's chain: `set`, `in`, `use`, `listen`). It runs in
 * the primary and in every worker, so that both see the same addresses; [isPrimary] tells them apart.
 * Setters check their range and name the fix.
 */
@ClusterDsl
public class ClusterConfig internal constructor(
    /** The cluster environment: `JCLUSTER_ENV`, `development` if unset. */
    public val environment: String,
    /** True in the primary, false in a worker. */
    public val isPrimary: Boolean,
) {
    /** The number of processors: the default of [workers]. */
    public val cpus: Int = Runtime.getRuntime().availableProcessors()

    /** How many workers to keep (LearnBoost `workers`). */
    public var workers: Int = cpus
        set(value) { require(value > 0) { "workers must be at least 1, was $value (to run without workers, do not call cluster())" }; field = value }

    private var processorsChosen = false

    /**
     * How many processors each worker JVM counts ([ClusterSettings.processorsPerWorker]). Unless set, each
     * worker's share of this machine: [cpus] / [workers], at least 1. Null: every worker counts them all.
     */
    public var processorsPerWorker: Int? = null
        get() = if (processorsChosen) field else (cpus / workers).coerceAtLeast(1)
        set(value) {
            require(value == null || value > 0) { "processorsPerWorker must be positive, was $value (null: all $cpus)" }
            field = value
            processorsChosen = true
        }

    /** The workers' working directory; null: the primary's (LearnBoost `working directory`). */
    public var workingDirectory: Path? = null

    /** The listen backlog (LearnBoost `backlog`). */
    public var backlog: Int = ListenOptions().backlog
        set(value) { require(value > 0) { "backlog must be positive, was $value" }; field = value }

    /** Where the primary binds its control socket; null: a private temporary directory (LearnBoost `socket path`). */
    public var socketPath: Path? = null

    /** Run the workers as this user (through `setpriv`); the primary may keep root to bind privileged ports. */
    public var user: String? = null

    /** Run the workers with this group; null: the [user]'s primary group. */
    public var group: String? = null

    /** How long a disconnecting worker may take before it is killed (LearnBoost `timeout`). */
    public var timeout: Duration = 10.seconds
        set(value) { require(value.isPositive()) { "timeout must be positive, was $value" }; field = value }

    /**
     * How long a graceful close keeps the workers serving after the cluster turned not-ready (`/readyz`
     * of [Plugins.metrics] fails at once), so that Kubernetes removes the pod's endpoints before the
     * workers drain; zero (the default) drains at once. Keep it plus [timeout] under the pod's
     * `terminationGracePeriodSeconds`.
     */
    public var drainDelay: Duration = Duration.ZERO
        set(value) { require(!value.isNegative()) { "drainDelay cannot be negative, was $value" }; field = value }

    private var strategyChosen = false

    /** How the workers share each port; round-robin once [sticky] is set, unless set to another. */
    public var strategy: SharingStrategy = SharingStrategy.fromEnvironment() ?: SharingStrategy.SHARED
        get() = if (sticky != null && !strategyChosen) SharingStrategy.ROUND_ROBIN else field
        set(value) {
            field = value
            strategyChosen = true
        }

    /**
     * Sticky sessions: each connection goes to the worker its key (the client's IP address, or what
     * [StickySessions.key] finds in the first bytes) belongs to. Null (the default): in turn.
     */
    public var sticky: StickySessions? = null

    /**
     * A JDWP (and, if asked, JMX) port per worker, Node's `inspectPort`: `DebugPorts(jdwpBase = 5005)`
     * has worker N listen on 127.0.0.1:5005+N. Null (the default): the workers start no debug agent.
     */
    public var debugPorts: DebugPorts? = null

    /** Respawn, restart budget, readiness, heartbeat, recycling and reload policies. */
    public var supervision: Supervision = Supervision()

    /** What the primary of [cluster] does on each signal; see [SignalMap.DEFAULTS]. */
    public val signals: SignalMap = SignalMap()

    internal val addresses = ArrayList<SocketAddress>()
    internal val plugins = ArrayList<ClusterPlugin>()
    internal var settingsChange: (ClusterSettings) -> ClusterSettings = { it }

    /**
     * Sets [name] to [value] by LearnBoost's names: `workers`, `working directory`, `backlog`,
     * `socket path`, `user`, `group`, `timeout` (a [Duration], or milliseconds as a number),
     * `strategy` (a [SharingStrategy] or its name), and `sticky` ([StickySessions], or true for by IP address).
     */
    public fun set(name: String, value: Any?): ClusterConfig = apply {
        fun wrong(expected: String): Nothing = throw IllegalArgumentException("set(\"$name\", $value): expected $expected")
        when (name) {
            "workers" -> workers = (value as? Number)?.toInt() ?: wrong("a number")
            "working directory" -> workingDirectory = value?.let { Path.of(it.toString()) }
            "backlog" -> backlog = (value as? Number)?.toInt() ?: wrong("a number")
            "socket path" -> socketPath = value?.let { Path.of(it.toString()) }
            "user" -> user = value?.toString()
            "group" -> group = value?.toString()
            "timeout" -> timeout = when (value) {
                is Duration -> value
                is Number -> value.toLong().milliseconds
                else -> wrong("a Duration or milliseconds")
            }
            "strategy" -> strategy = value as? SharingStrategy ?: SharingStrategy.parse(value?.toString() ?: wrong("a strategy"))
            "sticky" -> sticky = when (value) {
                is StickySessions -> value
                true -> StickySessions.CLIENT_IP
                false, null -> null
                else -> wrong("StickySessions, true or false")
            }
            else -> throw IllegalArgumentException("set(\"$name\", …): no such setting; the settings are ${SETTINGS.joinToString()}")
        }
    }

    /** Applies [block] only when the cluster environment is one of [names] (`all` matches every one). */
    public fun env(vararg names: String, block: ClusterConfig.() -> Unit) {
        require(names.isNotEmpty()) { "env() needs at least one environment name, such as env(\"production\")" }
        if (names.any { it == ALL || it == environment }) block()
    }

    /** [env] by the LearnBoost name (`in` is a Kotlin keyword, hence the backticks). */
    public fun `in`(vararg names: String, block: ClusterConfig.() -> Unit): Unit = env(*names, block = block)

    /** Runs [action] here, in both roles (LearnBoost's `do`, a Kotlin keyword). */
    public fun step(action: ClusterConfig.() -> Unit) {
        action()
    }

    /** Uses [plugin] (in the primary; a worker ignores plugins). */
    public fun use(plugin: ClusterPlugin) {
        plugins += plugin
    }

    /** Changes [signals]: `signals { on(Signal.WINCH, SignalAction.SPAWN_ONE); remove(Signal.HUP) }`. */
    public fun signals(change: SignalMap.() -> Unit) {
        signals.change()
    }

    /** The workers serve on [port] of [host] (null: every local address), shared among them. */
    public fun listen(port: Int, host: String? = null) {
        require(port in 0..65535) { "listen($port): a port is 0..65535" }
        listen(if (host == null) InetSocketAddress(port) else InetSocketAddress(host, port))
    }

    /** The workers serve on [address] (TCP or a Unix-domain socket path), shared among them. */
    public fun listen(address: SocketAddress) {
        require(address !in addresses || (address as? InetSocketAddress)?.port == 0) {
            "listen($address) is given twice: each address once (every worker already serves each listen on all its servers)"
        }
        addresses += address
    }

    /** Changes the underlying [ClusterSettings] (JVM options, main class, stdio…) after the settings above. */
    public fun settings(change: (ClusterSettings) -> ClusterSettings) {
        val before = settingsChange
        settingsChange = { change(before(it)) }
    }

    internal fun toSettings(): ClusterSettings = settingsChange(
        ClusterSettings(
            workingDirectory = workingDirectory,
            processorsPerWorker = processorsPerWorker,
            disconnectTimeout = timeout,
            strategy = strategy,
            supervision = supervision,
            user = user,
            group = group,
            controlSocket = socketPath,
            environment = mapOf(ENVIRONMENT to environment),
            debugPorts = debugPorts,
            sticky = sticky,
        ),
    )

    internal fun listenOptions() = ListenOptions(backlog = backlog, strategy = strategy)

    public companion object {
        /** The environment variable that names the cluster environment. */
        public const val ENVIRONMENT: String = "JCLUSTER_ENV"

        /** The environment when [ENVIRONMENT] is unset. */
        public const val DEFAULT_ENVIRONMENT: String = "development"

        /** The name that [env] matches in every environment. */
        public const val ALL: String = "all"

        private val SETTINGS = listOf("workers", "working directory", "backlog", "socket path", "user", "group", "timeout", "strategy", "sticky")

        internal fun currentEnvironment(): String = System.getenv(ENVIRONMENT)?.takeIf { it.isNotBlank() } ?: DEFAULT_ENVIRONMENT
    }
}
