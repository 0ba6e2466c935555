package io.jcluster.internal

import java.nio.file.Path

/** The environment a primary gives each worker; its presence is what makes a process a worker. */
internal data class WorkerEnvironment(
    val workerId: Int,
    val controlSocket: Path,
    val token: String,
    val slot: Int? = null,
    val maxRequests: Long = 0,
    /** Started as a warm standby: it has no slot until the primary promotes it. */
    val standby: Boolean = false,
) {
    companion object {
        const val WORKER_ID = "JCLUSTER_WORKER_ID"
        const val LEARNBOOST_WORKER = "CLUSTER_WORKER" // the LearnBoost `cluster` module's name for the same
        const val CONTROL_SOCKET = "JCLUSTER_CONTROL_SOCKET"
        const val TOKEN = "JCLUSTER_TOKEN"
        const val SLOT = "JCLUSTER_WORKER_SLOT"
        const val MAX_REQUESTS = "JCLUSTER_MAX_REQUESTS"
        const val STANDBY = "JCLUSTER_STANDBY"

        /** This process's worker environment, or null in a primary. */
        val current: WorkerEnvironment? by lazy { from(System.getenv()) }

        fun from(env: Map<String, String>): WorkerEnvironment? {
            val id = (env[WORKER_ID] ?: env[LEARNBOOST_WORKER])?.toIntOrNull() ?: return null
            val socket = env[CONTROL_SOCKET] ?: error("$WORKER_ID is set but $CONTROL_SOCKET is not: was this process started by a jcluster primary?")
            return WorkerEnvironment(id, Path.of(socket), env[TOKEN] ?: "", env[SLOT]?.toIntOrNull(), env[MAX_REQUESTS]?.toLongOrNull() ?: 0, env[STANDBY] == "1")
        }

        fun variables(workerId: Int, controlSocket: Path, token: String): Map<String, String> = mapOf(
            WORKER_ID to workerId.toString(),
            LEARNBOOST_WORKER to workerId.toString(),
            CONTROL_SOCKET to controlSocket.toString(),
            TOKEN to token,
        )
    }
}
