package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.UpgradeFailedException
import io.jcluster.UpgradeResult
import io.jcluster.ipc.Handle
import io.jcluster.ipc.IpcConnection
import io.jcluster.ipc.IpcOptions
import io.jcluster.ipc.IpcServer
import io.jcluster.ipc.JsonCodec
import io.jcluster.ipc.Lane
import io.jcluster.ipc.MessageChannel
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.future.await
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeoutOrNull
import java.net.UnixDomainSocketAddress
import java.security.MessageDigest
import java.util.HexFormat
import java.util.concurrent.TimeUnit
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds
import kotlin.time.TimeSource

private val log = KotlinLogging.logger {}

/**
 * The old primary's side of an upgrade: starts the new primary with [command], hands it every
 * listener over a private Unix socket (the descriptors travel with `SCM_RIGHTS`, as a worker's do),
 * and waits until it says that every slot has a ready worker. The ports are held meanwhile, so that
 * none closes under the new primary. If the new one exits first, or is not ready within [timeout],
 * it is stopped (TERM, then KILL after [killTimeout]) and [UpgradeFailedException] says why; this
 * primary and its workers were never touched and serve on.
 */
internal class PrimaryUpgrade(private val loop: PrimaryLoop, private val timeout: Duration, private val killTimeout: Duration) {
    /**
     * Runs the upgrade; returns once the new primary took over, with the connection to it (for the
     * caller to close). [beforeTakeOver] runs with the new primary's pid once it is ready, before it hears so.
     */
    suspend fun run(command: List<String>, beforeTakeOver: (Long) -> Unit): Pair<UpgradeResult, IpcConnection> = loop.holdingPorts {
        val started = TimeSource.Monotonic.markNow()
        val dir = SocketDirectories.create()
        val server = IpcServer.bind(dir.resolve("upgrade.sock"), IpcOptions(name = "upgrade"))
        val token = HexFormat.of().formatHex(ByteArray(24).also { random.nextBytes(it) })
        try {
            val process = launch(command, server, token)
            log.info { "upgrade: started the new primary, pid ${process.pid()}: ${command.joinToString(" ").take(COMMAND_LOG_CHARS)}" }
            val (pid, connection) = try {
                awaitReady(process, server, token, beforeTakeOver)
            } catch (e: UpgradeFailedException) {
                stop(process)
                throw e
            }
            UpgradeResult(ProcessHandle.current().pid(), pid, started.elapsedNow()) to connection
        } finally {
            server.close()
            dir.toFile().deleteRecursively()
        }
    }

    private fun launch(command: List<String>, server: IpcServer, token: String): Process {
        require(command.isNotEmpty()) { "the new primary's command line is empty" }
        val builder = ProcessBuilder(command).inheritIO()
        builder.environment() += mapOf(Succession.SOCKET to server.path.toString(), Succession.TOKEN to token)
        return try {
            builder.start()
        } catch (e: java.io.IOException) {
            throw UpgradeFailedException("cannot start the new primary (${command.first()}): ${e.message}")
        }
    }

    /** The new primary's pid and connection once it is ready; [UpgradeFailedException] if it exits or [timeout] passes first. */
    private suspend fun awaitReady(process: Process, server: IpcServer, token: String, beforeTakeOver: (Long) -> Unit): Pair<Long, IpcConnection> {
        val watch = process.onExit().thenRun { server.close() } // a process that exits before it connects ends the accept at once
        val handed = try {
            withTimeoutOrNull(timeout) { handOver(process, server, token, beforeTakeOver) }
        } catch (e: Exception) {
            if (e is CancellationException) throw e
            throw failure(process, e)
        } finally {
            watch.cancel(false)
        }
        return handed ?: throw UpgradeFailedException("the new primary (pid ${process.pid()}) was not ready within $timeout")
    }

    /** Why the handover broke off: the process exited (a read or an accept failed for that), with its code, or [e]. */
    private suspend fun failure(process: Process, e: Exception): UpgradeFailedException {
        val code = withTimeoutOrNull(EXIT_WAIT) { process.onExit().await().exitValue() }
        if (code != null) return UpgradeFailedException("the new primary (pid ${process.pid()}) exited with code $code before it was ready")
        return e as? UpgradeFailedException ?: UpgradeFailedException("the new primary (pid ${process.pid()}) broke off: ${e.message}")
    }

    private suspend fun handOver(process: Process, server: IpcServer, token: String, beforeTakeOver: (Long) -> Unit): Pair<Long, IpcConnection> {
        val connection = accept(process, server)
        try {
            val channel = connection.open(Lane.CONTROL, JsonCodec(UpgradeMessage.serializer()))
            val hello = channel.receive().message
            if (hello !is UpgradeMessage.Hello || !MessageDigest.isEqual(hello.token.toByteArray(), token.toByteArray())) {
                throw UpgradeFailedException("the new primary (pid ${connection.peer.pid}) did not present the upgrade's token")
            }
            sendListeners(channel)
            val ready = channel.receive()
            check(ready.message == UpgradeMessage.Ready) { "the new primary sent ${ready.message} instead of ready" }
            withContext(NonCancellable) { // past this point, a timeout must not make both primaries give up
                beforeTakeOver(connection.peer.pid)
                ready.reply(UpgradeMessage.TakeOver)
            }
            return connection.peer.pid to connection
        } catch (e: Exception) {
            connection.close()
            throw e as? UpgradeFailedException ?: UpgradeFailedException("the new primary (pid ${process.pid()}) broke off: ${e.message}")
        }
    }

    /** The connection from [process] (or a process it started: a wrapper script); others are closed. */
    private suspend fun accept(process: Process, server: IpcServer): IpcConnection {
        while (true) {
            val connection = server.accept()
            val pid = connection.peer.pid
            if (pid == process.pid() || process.descendants().anyMatch { it.pid() == pid }) return connection
            log.warn { "upgrade: refused a connection from pid $pid, which the upgrade did not start" }
            connection.close()
        }
    }

    private suspend fun sendListeners(channel: MessageChannel<UpgradeMessage>) {
        val handles = loop.ports.handOver()
        for (handle in handles) {
            val message = UpgradeMessage.Listener(WireKey.of(handle.key), WireAddress.of(handle.address), handle.strategy)
            val socket = (handle as? DatagramHandle)?.let { Handle.Datagram(it.channel) }
                ?: handle.listener?.let { if (handle.address is UnixDomainSocketAddress) Handle.UnixListener(it) else Handle.TcpListener(it) }
            channel.send(message, socket) // the sender keeps its copy: this primary serves on until the new one is ready
        }
        channel.send(UpgradeMessage.HandedOver(loop.nextId.get() + ID_GAP))
        log.info { "upgrade: handed over ${handles.size} listeners: ${handles.joinToString { SocketBinding.describe(it.address) }}" }
    }

    private suspend fun stop(process: Process) {
        val all = listOf(process.toHandle()) + process.descendants().toList()
        all.forEach { it.destroy() }
        if (withTimeoutOrNull(killTimeout) { process.onExit().await() } == null) all.forEach { it.destroyForcibly() }
        process.waitFor(killTimeout.inWholeMilliseconds, TimeUnit.MILLISECONDS)
        log.warn { "upgrade: stopped the new primary (pid ${process.pid()}); this one serves on" }
    }

    private companion object {
        /** Ids the old primary may still give to respawned workers while the new one boots: the new one starts past them. */
        const val ID_GAP = 100
        /** How long a new primary whose connection broke may take to be seen as exited. */
        val EXIT_WAIT = 2.seconds
        const val COMMAND_LOG_CHARS = 300
        val random = java.security.SecureRandom()
    }
}
