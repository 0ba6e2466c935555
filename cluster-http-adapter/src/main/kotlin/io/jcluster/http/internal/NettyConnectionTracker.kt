package io.jcluster.http.internal

import io.jcluster.http.RunningHttpServer
import io.netty.channel.ChannelDuplexHandler
import io.netty.channel.ChannelFutureListener
import io.netty.channel.ChannelHandler
import io.netty.channel.ChannelInboundHandlerAdapter
import io.netty.channel.ChannelHandlerContext
import io.netty.channel.ChannelPromise
import io.netty.handler.codec.http.DefaultFullHttpResponse
import io.netty.handler.codec.http.HttpRequest
import io.netty.handler.codec.http.HttpResponse
import io.netty.handler.codec.http.HttpResponseStatus
import io.netty.handler.codec.http.HttpUtil
import io.netty.handler.codec.http.HttpVersion
import io.netty.handler.codec.http.LastHttpContent
import java.util.concurrent.TimeUnit

/**
 * One per connection, after the HTTP codec and Netty's keep-alive handler: counts requests and, once
 * the server stops, marks responses `Connection: close` (the keep-alive handler then closes the
 * connection after the response) and closes the connection when it has been idle for
 * [RunningHttpServer.IDLE_GRACE]. Its [failures] handler, last in the pipeline, answers an exception
 * from the handler as [HandlerFailure] says. Runs on the connection's event loop only.
 */
internal class NettyConnectionTracker(private val server: AdoptingServer) : ChannelDuplexHandler() {
    private var inFlight = 0
    private var responseBegun = false
    private var idleSince = System.nanoTime()
    private var watching = false

    /** The event the server sends down every connection's pipeline when it starts to stop. */
    object Stopping

    override fun channelActive(ctx: ChannelHandlerContext) {
        if (server.isStopping) watchIdle(ctx) // came in while the stop began
        ctx.fireChannelActive()
    }

    override fun channelRead(ctx: ChannelHandlerContext, msg: Any) {
        if (msg is HttpRequest) {
            server.requestTaken()
            inFlight++
        }
        ctx.fireChannelRead(msg)
    }

    override fun write(ctx: ChannelHandlerContext, msg: Any, promise: ChannelPromise) {
        if (msg is HttpResponse && server.isStopping) HttpUtil.setKeepAlive(msg, false)
        if (msg is HttpResponse) responseBegun = true
        if (msg is LastHttpContent && inFlight > 0) {
            inFlight--
            responseBegun = false
            idleSince = System.nanoTime()
        }
        ctx.write(msg, promise)
    }

    /** The pipeline's last handler: what the user's handler throws reaches it (exceptions flow towards the tail). */
    val failures: ChannelHandler = object : ChannelInboundHandlerAdapter() {
        override fun exceptionCaught(ctx: ChannelHandlerContext, cause: Throwable) {
            val unanswered = inFlight > 0 && !responseBegun
            HandlerFailure.log(cause, !unanswered)
            if (!unanswered || !ctx.channel().isActive) return run { ctx.close() }
            val response = DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(HandlerFailure.STATUS))
            HttpUtil.setContentLength(response, 0)
            HttpUtil.setKeepAlive(response, false)
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE)
        }
    }

    override fun userEventTriggered(ctx: ChannelHandlerContext, evt: Any) {
        if (evt === Stopping) watchIdle(ctx) else ctx.fireUserEventTriggered(evt)
    }

    private fun watchIdle(ctx: ChannelHandlerContext) {
        if (watching) return
        watching = true
        closeWhenIdle(ctx)
    }

    private fun closeWhenIdle(ctx: ChannelHandlerContext) {
        val grace = RunningHttpServer.IDLE_GRACE.inWholeNanoseconds
        val idleFor = System.nanoTime() - idleSince
        if (inFlight == 0 && idleFor >= grace) {
            ctx.close()
            return
        }
        val wait = if (inFlight == 0) grace - idleFor else grace
        ctx.executor().schedule({ closeWhenIdle(ctx) }, wait, TimeUnit.NANOSECONDS)
    }
}
