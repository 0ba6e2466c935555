package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.Worker
import io.jcluster.WorkerPipe
import io.jcluster.ipc.Handle
import io.jcluster.ipc.Ipc
import kotlinx.coroutines.channels.Channel
import java.util.concurrent.ConcurrentHashMap

private val log = KotlinLogging.logger {}

/** The primary's side: a socket pair, one end to the worker over the control lane, the other returned. */
internal object PrimaryPipes {
    suspend fun open(worker: Worker, name: String): WorkerPipe {
        require(name.isNotBlank()) { "a pipe needs a name, which the worker asks for with Cluster.worker.pipe(name)" }
        val link = worker.connectedLink("open a pipe to")
        val (mine, theirs) = Ipc.socketPair()
        try {
            link.openPipe(name, Handle.UnixConnection(theirs))
        } catch (e: Throwable) {
            mine.close()
            throw e
        }
        return WorkerPipe(name, mine)
    }
}

/**
 * The worker's side: the ends the primary sent, by name, until the application takes them. Several
 * pipes of one name are taken in the order they came.
 */
internal class WorkerPipes {
    private val arrived = ConcurrentHashMap<String, Channel<WorkerPipe>>()

    private fun named(name: String) = arrived.computeIfAbsent(name) { Channel(Channel.UNLIMITED) }

    /** Takes the end the primary sent under [name], with its socket [handle]. */
    fun arrived(name: String, handle: Handle?) {
        val end = (handle as? Handle.UnixConnection)?.channel ?: run {
            handle?.close()
            return log.warn { "the primary opened pipe '$name' without a socket ($handle); ignored" }
        }
        named(name).trySend(WorkerPipe(name, end))
    }

    /** The next pipe the primary opens, or opened, under [name]. */
    suspend fun take(name: String): WorkerPipe = named(name).receive()
}
