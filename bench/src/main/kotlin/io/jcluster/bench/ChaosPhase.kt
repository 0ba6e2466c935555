package io.jcluster.bench

import java.nio.file.Path
import kotlin.random.Random

/**
 * One fault of `bench/run chaos` after its kill-and-reload run, on the same cluster under the same
 * wrk load: [act] runs while wrk runs for [ChaosPhase.SECONDS] s, then the driver waits (at most
 * [SETTLE_SECONDS] s) for the cluster to be back at its target. A phase that does not apply to a
 * target (Node's cluster cannot scale, and has no logger) says why instead.
 */
interface ChaosPhase {
    val key: String
    val title: String

    /** Why this phase does not apply to [target]; null when it does. */
    fun skipFor(target: ReloadTarget, cluster: PhaseCluster): String? = null

    /** The fault; returns what it did, in a few words. */
    fun act(cluster: PhaseCluster, random: Random): String

    companion object {
        const val SECONDS = 15
        const val SETTLE_SECONDS = 45L
        val ALL: List<ChaosPhase> = listOf(ScaleStorm, FdExhaustion, StoppedWorker, FullLogDisk)
    }
}

/** What a phase acts on: the primary, its workers, and for bin/hello-cluster its admin socket and log directory. */
class PhaseCluster(
    val server: ServerProcess,
    val cluster: SupervisedCluster,
    val port: Int,
    val workers: Int,
    val admin: AdminSocket?,
    val logDir: Path?,
    val stderr: Path,
) {
    /** The primary's children that run (not zombies), a warm standby included. */
    fun runningChildren(): List<ProcessHandle> = ProcessHandle.of(server.pid)
        .map { it.children().filter { child -> ProcStatus.isRunning(child.pid()) }.toList() }.orElse(emptyList())

    /** The pids of the serving workers: from the admin socket's stats where there is one (no standby), else the running children. */
    fun servingPids(): List<Long> = admin?.let { socket -> socket.stats().workers.filter { it.active }.mapNotNull { it.pid } }
        ?: runningChildren().map { it.pid() }

    /** SIGKILL to a serving worker [random] picks; its pid, or null if none serves. */
    fun killServing(random: Random): Long? = servingPids().randomOrNull(random)?.also { pid ->
        ProcessHandle.of(pid).ifPresent { it.destroyForcibly() }
    }

    /** The serving workers: from the admin socket's stats where there is one, else the running children. */
    fun servingWorkers(): Int = admin?.let { socket -> runCatching { socket.stats() }.getOrNull()?.let { stats ->
        if (stats.wanted == workers) stats.workers.count { it.active } else -1
    } } ?: runningChildren().size

    /** The bytes the primary wrote to its stderr and its log directory so far. */
    fun logBytes(): Long = stderr.toFile().length() +
        (logDir?.toFile()?.walk()?.filter { it.isFile && (it.name.endsWith(".log") || it.name.endsWith(".log.1")) }?.sumOf { it.length() } ?: 0L)
}

/** One phase on one target: wrk's figures, the workers at the end, and the primary before and after. */
class PhaseRun(
    val phase: ChaosPhase,
    val target: ReloadTarget,
    val outcome: Result<PhaseFigures>?,
    val skipped: String? = null,
)

class PhaseFigures(
    val load: WrkResult,
    val did: String,
    val workersAtEnd: Int,
    val settleMillis: Long?,
    val before: ProcStatus,
    val after: ProcStatus,
    val rssBefore: Long,
    val rssAfter: Long,
    val logBytes: Long,
)
