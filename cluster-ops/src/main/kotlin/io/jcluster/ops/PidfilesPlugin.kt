package io.jcluster.ops

import io.jcluster.ClusterPlugin
import io.jcluster.ManagedCluster
import io.jcluster.Worker
import io.jcluster.WorkerEvent
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption

/**
 * [Plugins.pidfiles]: `master.pid` for the primary and `worker.<id>.pid` for each live worker (by
 * LearnBoost's names; the id is [Worker.id], the one in `[worker N]` lines and `JCLUSTER_WORKER_ID`).
 * A worker's file is written when it is forked and removed when it exits, so the directory always
 * lists the processes that run; every file goes when the primary closes. Files are replaced
 * atomically: a reader never sees half a pid. In an upgrade ([ManagedCluster.upgrade]) `master.pid`
 * moves to the new primary once it took over, and the old one removes only the files that name its own
 * processes.
 */
internal class PidfilesPlugin(private val dir: Path) : ClusterPlugin {
    override val name: String = "pidfiles"

    override fun onStarting(cluster: ManagedCluster) {
        Files.createDirectories(dir)
        if (cluster.predecessor == null) write(MASTER, ProcessHandle.current().pid()) // else once it took over
    }

    override fun onUpgraded(cluster: ManagedCluster, predecessor: Long) {
        write(MASTER, ProcessHandle.current().pid())
    }

    override fun afterFork(cluster: ManagedCluster, worker: Worker) {
        worker.pid?.let { write(workerFile(worker.id), it) } // no pid: it could not be started, and its exit follows at once
    }

    override fun onWorkerExit(cluster: ManagedCluster, exit: WorkerEvent.Exited) {
        exit.worker.pid?.let { deleteIfNames(dir.resolve(workerFile(exit.worker.id)), it) }
    }

    override fun onExit(cluster: ManagedCluster) {
        // After an upgrade the other files are the new primary's.
        if (cluster.successor == null) Files.newDirectoryStream(dir, "worker.*.pid").use { files -> files.forEach(Files::deleteIfExists) }
        deleteIfNames(dir.resolve(MASTER), ProcessHandle.current().pid())
    }

    /** Deletes [file] if it names [pid]: another primary may have written it since. */
    private fun deleteIfNames(file: Path, pid: Long) {
        if (runCatching { Files.readString(file).trim() }.getOrNull() == pid.toString()) Files.deleteIfExists(file)
    }

    private fun write(file: String, pid: Long) {
        val temporary = Files.createTempFile(dir, ".$file", ".tmp")
        try {
            Files.writeString(temporary, "$pid\n")
            Files.move(temporary, dir.resolve(file), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING)
        } finally {
            Files.deleteIfExists(temporary)
        }
    }

    private fun workerFile(id: Int) = "worker.$id.pid"

    private companion object {
        const val MASTER = "master.pid"
    }
}
