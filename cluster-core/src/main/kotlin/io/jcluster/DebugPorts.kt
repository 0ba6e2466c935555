package io.jcluster

/**
 * A debug port per worker, Node's `inspectPort` for the JVM ([ClusterSettings.debugPorts], the DSL's
 * [ClusterConfig.debugPorts]): each worker's JDWP agent listens on [jdwpBase] + its worker id and, with
 * a [jmxBase], its JMX agent on [jmxBase] + its worker id, so that debugging one worker never collides
 * with another. Worker ids start at 1 and are never reused, so a respawned or reloaded worker gets new
 * ports (during a reload the old and the new worker of a slot run side by side, which a port per slot
 * would not allow). The JDWP agent prints `Listening for transport dt_socket at address: …` on the
 * worker's output, and the primary logs each worker's ports as it forks it.
 *
 * ```
 * env("development") { debugPorts = DebugPorts(jdwpBase = 5005, jmxBase = 9010) } // worker 1: 5006 and 9011
 * ```
 *
 * Both agents listen on [host] only, 127.0.0.1 by default; the JMX agent has no authentication and no
 * TLS, so keep it on a loopback (or otherwise trusted) address. A worker whose port would be past 65535
 * starts without that agent (and the primary says so). Keep the JDWP and JMX ranges apart by more than
 * the number of workers you will fork.
 *
 * @property jdwpBase worker N's JDWP agent listens on `jdwpBase + N`; null: no JDWP agent.
 * @property jmxBase worker N's JMX agent (RMI registry and server on one port) listens on `jmxBase + N`; null: no JMX agent.
 * @property suspend each worker waits for a debugger to attach before it runs `main` (JDWP's `suspend=y`):
 *   it then boots only once one is attached, so keep [Supervision.bootTimeout] long enough.
 * @property host the address both agents listen on.
 */
public data class DebugPorts @JvmOverloads constructor(
    val jdwpBase: Int? = DEFAULT_JDWP_BASE,
    val jmxBase: Int? = null,
    val suspend: Boolean = false,
    val host: String = LOOPBACK,
) {
    init {
        require(jdwpBase != null || jmxBase != null) { "DebugPorts with neither jdwpBase nor jmxBase: set at least one (or no debugPorts at all)" }
        require(jdwpBase == null || jdwpBase in 1..65534) { "jdwpBase must be 1..65534 (worker N listens on jdwpBase + N), was $jdwpBase" }
        require(jmxBase == null || jmxBase in 1..65534) { "jmxBase must be 1..65534 (worker N listens on jmxBase + N), was $jmxBase" }
        require(jdwpBase == null || jdwpBase != jmxBase) { "jdwpBase and jmxBase are both $jdwpBase: give each its own range" }
        require(!suspend || jdwpBase != null) { "suspend waits for a debugger, and there is no jdwpBase: set one" }
        require(host.isNotBlank()) { "host is blank: use 127.0.0.1 (the default) or another local address" }
    }

    /** The port worker [workerId]'s JDWP agent listens on; null without [jdwpBase] or past 65535. */
    public fun jdwpPort(workerId: Int): Int? = portOf(jdwpBase, workerId)

    /** The port worker [workerId]'s JMX agent listens on; null without [jmxBase] or past 65535. */
    public fun jmxPort(workerId: Int): Int? = portOf(jmxBase, workerId)

    /** The JVM options that start worker [workerId]'s agents. */
    internal fun jvmFlags(workerId: Int): List<String> = buildList {
        jdwpPort(workerId)?.let { port ->
            add("-agentlib:jdwp=transport=dt_socket,server=y,suspend=${if (suspend) "y" else "n"},address=${hostForUrl()}:$port")
        }
        jmxPort(workerId)?.let { port ->
            add("-Dcom.sun.management.jmxremote.port=$port")
            add("-Dcom.sun.management.jmxremote.rmi.port=$port") // one port for the registry and the server: one to open, one to forward
            add("-Dcom.sun.management.jmxremote.host=$host")
            add("-Dcom.sun.management.jmxremote.authenticate=false")
            add("-Dcom.sun.management.jmxremote.ssl=false")
            add("-Djava.rmi.server.hostname=$host") // the address the RMI stub names, or a client is sent to the machine's name
        }
    }

    private fun portOf(base: Int?, workerId: Int): Int? = base?.let { it + workerId }?.takeIf { it in 1..65535 }

    private fun hostForUrl() = if (':' in host && !host.startsWith("[")) "[$host]" else host

    public companion object {
        /** JDWP's customary port: worker 1 gets 5006, worker 2 5007… */
        public const val DEFAULT_JDWP_BASE: Int = 5005

        /** Where the agents listen by default. */
        public const val LOOPBACK: String = "127.0.0.1"
    }
}
