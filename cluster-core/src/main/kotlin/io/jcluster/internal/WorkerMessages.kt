package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterSettings
import io.jcluster.ExitReason
import io.jcluster.ReadyWhen
import io.jcluster.WorkerEvent
import io.jcluster.WorkerInput
import io.jcluster.ipc.Handle
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.launch
import kotlin.time.TimeSource

private val log = KotlinLogging.logger {}

/**
 * What the primary's loop does with a worker's control messages: listen calls go to the listeners
 * front ([PortRegistry]), a disconnect to the [Stopper]'s timer, readiness and heartbeat answers to
 * the worker's record. Runs on the loop; [loop] is what it needs of it back.
 */
internal class WorkerMessages(
    private val ports: PortRegistry,
    private val stopper: Stopper,
    private val settings: () -> ClusterSettings,
    private val scope: CoroutineScope,
    private val clock: TimeSource.WithComparableMarks,
    private val supervisor: Supervisor,
    private val loop: LoopSide,
) {
    suspend fun handle(record: WorkerRecord, input: PrimaryInput.Control) {
        val (id, message, reply) = Triple(record.worker.id, input.message, input.reply)
        if (record.standby && message is ControlMessage.Listen) {
            record.heldUntilPromoted += input // answered by promoted()
            return
        }
        if (record.standby && message !is ControlMessage.Disconnecting && message !is ControlMessage.Exiting) return refuseStandby(record, input)
        if (message !is ControlMessage.HandoffAnswer) input.handle?.close() // only a refused connection comes with one
        val settings = settings()
        when (message) {
            is ControlMessage.Hello -> log.warn { "worker $id said hello again; ignored" }
            is ControlMessage.HandoffAnswer -> ports.handoffAnswer(id, message, input.handle)
            ControlMessage.Disconnecting -> {
                record.worker.exitedAfterDisconnectFlag = true
                ports.drain(id)
                if (record.apply(WorkerInput.DisconnectRequested)) stopper.startDisconnectTimer(record)
            }
            is ControlMessage.Listen -> {
                val late = { Lateness.isLate(record.lastPong?.elapsedNow(), settings.supervision) }
                val grant = ports.listen(id, record.link!!, message, settings.strategy, settings.maxPendingHandoffs, record.disconnectRequested, late, settings.sticky, record.worker.slot)
                answer(reply, grant.message, grant.handle)
            }
            is ControlMessage.Listening -> listening(record, message)
            is ControlMessage.Unlisten -> ports.unlisten(id, message.lease) { reply?.send(ControlMessage.Unlistened, null) }
            ControlMessage.Ready -> loop.readyIf(record, ReadyWhen.READY)
            is ControlMessage.Pong -> record.pong(message, clock.markNow(), settings.supervision.healthWindow)
            is ControlMessage.Exiting -> record.exitingWith = message.code
            is ControlMessage.Recycle -> loop.execute(supervisor.recycle(record, ExitReason.MAX_REQUESTS))
        }
    }

    /** [record], a standby until now, was promoted: the listen calls it made meanwhile are answered now. */
    suspend fun promoted(record: WorkerRecord) {
        val held = record.heldUntilPromoted.toList()
        record.heldUntilPromoted.clear()
        held.forEach { handle(record, it) }
    }

    /** A standby's runtime holds its other calls until it is promoted: one that sends them anyway is refused. */
    private fun refuseStandby(record: WorkerRecord, input: PrimaryInput.Control) {
        val text = "worker ${record.worker.id} is a warm standby, not yet promoted: it cannot send ${input.message::class.simpleName}"
        log.warn { text }
        input.handle?.close()
        input.reply?.let { scope.launch { runCatching { it.fail(text) } } }
    }

    private suspend fun listening(record: WorkerRecord, message: ControlMessage.Listening) {
        val address = message.lease?.let { ports.listening(record.worker.id, it) ?: return } ?: message.address.toSocketAddress()
        if (record.exit != null) return
        record.apply(WorkerInput.Listening) // a second listener: already Listening, and that is fine
        loop.emit(WorkerEvent.Listening(record.worker, address))
        loop.readyIf(record, ReadyWhen.LISTENING)
    }

    /** Answers a worker's call without holding up the loop: written at once from the loop's thread, unless the socket is busy. */
    private fun answer(reply: CallReply?, message: ControlMessage.ToWorker, handle: Handle?) {
        reply ?: return
        scope.launch(start = CoroutineStart.UNDISPATCHED) { runCatching { reply.send(message, handle) } }
    }
}
