package io.jcluster.ipc

import io.jcluster.ipc.internal.InboundFrame
import kotlinx.coroutines.future.future
import java.util.concurrent.CompletableFuture
import java.util.concurrent.atomic.AtomicBoolean

/**
 * A message as it arrived, with the [handles] that came with it (now owned by the receiver). When the
 * sender used [MessageChannel.call] ([expectsReply]), answer exactly once with [reply] or [replyError].
 */
public class Incoming<M : Any> internal constructor(
    public val message: M,
    public val handles: List<Handle>,
    private val frame: InboundFrame?,
    private val channel: MessageChannel<M>?,
) {
    private val answered = AtomicBoolean(false)

    /** The first handle, if any came. */
    public val handle: Handle? get() = handles.firstOrNull()

    /** Whether the sender is waiting for a [reply]. */
    public val expectsReply: Boolean get() = frame?.isCall == true

    /** Answers the sender's call with [message] (and a [handle], if given). */
    public suspend fun reply(message: M, handle: Handle? = null) {
        val target = claimReply()
        target.connection.sendReply(frame!!.correlation, target.encodeForReply(message), handle)
    }

    /** Answers the sender's call with an error; its `call` throws [RemoteCallException] with [text]. */
    public suspend fun replyError(text: String) {
        val target = claimReply()
        target.connection.sendErrorReply(frame!!.correlation, text)
    }

    /** [reply] for Java callers. */
    @JvmOverloads
    public fun replyAsync(message: M, handle: Handle? = null): CompletableFuture<Unit> =
        claimChannel().connection.scope.future { reply(message, handle) }

    private fun claimChannel(): MessageChannel<M> =
        checkNotNull(channel) { "a reply cannot be answered" }

    private fun claimReply(): MessageChannel<M> {
        val target = claimChannel()
        check(expectsReply) { "this message was sent with send(), not call(): there is nobody to reply to" }
        check(answered.compareAndSet(false, true)) { "this call was already answered" }
        return target
    }

    override fun toString(): String = "Incoming($message, handles=$handles)"
}
