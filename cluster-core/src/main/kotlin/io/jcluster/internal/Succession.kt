package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ipc.Handle
import io.jcluster.ipc.IpcConnection
import io.jcluster.ipc.IpcException
import io.jcluster.ipc.Ipc
import io.jcluster.ipc.IpcOptions
import io.jcluster.ipc.JsonCodec
import io.jcluster.ipc.Lane
import io.jcluster.ipc.MessageChannel
import io.jcluster.ipc.RemoteCallException
import java.io.IOException
import java.nio.file.Path

private val log = KotlinLogging.logger {}

/**
 * The new primary's side of an upgrade ([PrimaryUpgrade] is the old one's): connected to the old
 * primary, which started this one with [SOCKET] and [TOKEN] in its environment. It [receive]s the
 * listeners before the first worker is forked, and says [ready] once every slot has a ready worker.
 */
internal class Succession private constructor(
    /** The old primary's pid. */
    val predecessor: Long,
    private val connection: IpcConnection,
    private val channel: MessageChannel<UpgradeMessage>,
) {
    /** Takes the old primary's listeners into [ports]; returns the first worker id this primary may give. */
    suspend fun receive(ports: InheritedPorts): Int {
        while (true) {
            val incoming = channel.receive()
            when (val message = incoming.message) {
                is UpgradeMessage.Listener -> ports.add(message.key.toKey(), inherited(incoming.handle, message))
                is UpgradeMessage.HandedOver -> return message.nextWorkerId
                else -> {
                    incoming.handles.forEach { it.close() }
                    throw IOException("the old primary sent $message while handing its listeners over")
                }
            }
        }
    }

    /**
     * Tells the old primary that every slot has a ready worker; true once it lets go (or has gone),
     * false if it gave up on this upgrade meanwhile (it then stops this primary).
     */
    suspend fun ready(): Boolean = try {
        channel.call(UpgradeMessage.Ready, timeoutMillis = READY_REPLY_MILLIS).message == UpgradeMessage.TakeOver
    } catch (e: RemoteCallException) {
        false
    } catch (e: IpcException) {
        // The connection closed: an old primary that gave up closes it, then stops this one; a dead one cannot.
        ProcessHandle.of(predecessor).map { !it.isAlive }.orElse(true)
    } finally {
        connection.close()
    }

    /** What the old primary sent for one port: a listening socket, a shared UDP socket, or nothing (reuse-port). */
    private fun inherited(handle: Handle?, message: UpgradeMessage.Listener): InheritedPorts.Inherited {
        val listener = when (handle) {
            is Handle.TcpListener -> handle.channel
            is Handle.UnixListener -> handle.channel
            else -> null
        }
        val datagram = (handle as? Handle.Datagram)?.channel
        if (listener == null && datagram == null) handle?.close()
        return InheritedPorts.Inherited(listener, message.bound, message.strategy, datagram)
    }

    companion object {
        /** The old primary's private upgrade socket. */
        const val SOCKET = "JCLUSTER_UPGRADE_SOCKET"

        /** The one-time token the new primary presents on it. */
        const val TOKEN = "JCLUSTER_UPGRADE_TOKEN"

        private const val READY_REPLY_MILLIS = 60_000L

        /**
         * The connection to the old primary if this process was started by an upgrade, else null; also
         * null (logged) when the old primary cannot be reached: this one then starts as a fresh primary.
         */
        suspend fun connect(environment: Map<String, String> = System.getenv()): Succession? {
            val path = environment[SOCKET]?.takeIf { it.isNotEmpty() } ?: return null
            val token = environment[TOKEN] ?: return null
            val connection = try {
                Ipc.connect(Path.of(path), IpcOptions(name = "upgrade"))
            } catch (e: IOException) {
                log.warn { "started by an upgrade, but the old primary cannot be reached (${e.message}): starting afresh" }
                return null
            }
            val peer = connection.peer.pid
            if (!startedBy(peer)) {
                connection.close()
                log.warn { "the upgrade socket $path is held by pid $peer, which did not start this process: starting afresh" }
                return null
            }
            val channel = connection.open(Lane.CONTROL, JsonCodec(UpgradeMessage.serializer()))
            channel.send(UpgradeMessage.Hello(token))
            log.info { "upgrade: taking over from the primary with pid $peer" }
            return Succession(peer, connection, channel)
        }

        /** Whether [pid] is this process's parent or an ancestor of it (through a wrapper script). */
        private fun startedBy(pid: Long): Boolean {
            var process = ProcessHandle.current().parent().orElse(null)
            while (process != null) {
                if (process.pid() == pid) return true
                process = process.parent().orElse(null)
            }
            return false
        }
    }
}
