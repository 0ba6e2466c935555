package io.jcluster.http

import com.sun.net.httpserver.HttpHandler
import io.netty.channel.Channel
import io.netty.channel.ChannelHandlerContext
import io.netty.channel.ChannelInitializer
import io.netty.channel.SimpleChannelInboundHandler
import io.netty.handler.codec.http.DefaultFullHttpResponse
import io.netty.handler.codec.http.FullHttpRequest
import io.netty.handler.codec.http.HttpHeaderNames
import io.netty.handler.codec.http.HttpObjectAggregator
import io.netty.handler.codec.http.HttpResponseStatus
import io.netty.handler.codec.http.HttpUtil
import io.netty.buffer.Unpooled
import org.eclipse.jetty.http.HttpHeader
import org.eclipse.jetty.io.Content
import org.eclipse.jetty.server.Handler
import org.eclipse.jetty.server.Request
import org.eclipse.jetty.server.Response
import org.eclipse.jetty.util.Callback
import java.net.URI
import java.util.concurrent.TimeUnit

/**
 * The one behaviour every adapter's test handler has: `GET /?delay=MS` waits MS milliseconds, then
 * answers 200 with [WHO_AM_I] (which worker and process served it) and a Content-Length; and
 * `GET /?throw=oom` (or `soe`) throws an `OutOfMemoryError` (a `StackOverflowError`) instead.
 */
object TestHandlers {
    val WHO_AM_I = "worker ${System.getenv("JCLUSTER_WORKER_ID") ?: "0"} pid ${ProcessHandle.current().pid()}\n"

    fun delayOf(uri: URI): Long = delayOf(uri.rawQuery)

    /** Throws what `throw=…` in [query] names, if anything. */
    fun throwIfAsked(query: String?) {
        when (query?.split('&')?.firstOrNull { it.startsWith("throw=") }?.removePrefix("throw=")) {
            null -> Unit
            "oom" -> throw OutOfMemoryError("thrown by the test handler")
            "soe" -> throw StackOverflowError("thrown by the test handler")
            else -> error("unknown throw= in $query")
        }
    }

    fun delayOf(query: String?): Long =
        query?.split('&')?.firstOrNull { it.startsWith("delay=") }?.removePrefix("delay=")?.toLong() ?: 0

    val jdk = HttpHandler { exchange ->
        throwIfAsked(exchange.requestURI.rawQuery)
        Thread.sleep(delayOf(exchange.requestURI))
        val body = WHO_AM_I.toByteArray()
        exchange.responseHeaders.set("Content-Type", "text/plain")
        exchange.sendResponseHeaders(200, body.size.toLong())
        exchange.responseBody.use { it.write(body) }
    }

    fun jetty(): Handler = object : Handler.Abstract() {
        override fun handle(request: Request, response: Response, callback: Callback): Boolean {
            throwIfAsked(request.httpURI.query)
            Thread.sleep(delayOf(request.httpURI.query))
            response.headers.put(HttpHeader.CONTENT_TYPE, "text/plain")
            response.headers.put(HttpHeader.CONTENT_LENGTH, WHO_AM_I.length.toLong())
            Content.Sink.write(response, true, WHO_AM_I, callback)
            return true
        }
    }

    fun netty(): ChannelInitializer<Channel> = object : ChannelInitializer<Channel>() {
        override fun initChannel(channel: Channel) {
            channel.pipeline().addLast(HttpObjectAggregator(64 * 1024), NettyWhoAmI())
        }
    }

    /** Answers on the event loop, after the delay, without blocking it. */
    private class NettyWhoAmI : SimpleChannelInboundHandler<FullHttpRequest>() {
        override fun channelRead0(ctx: ChannelHandlerContext, request: FullHttpRequest) {
            throwIfAsked(URI(request.uri()).rawQuery)
            val keepAlive = HttpUtil.isKeepAlive(request)
            ctx.executor().schedule({
                val response = DefaultFullHttpResponse(request.protocolVersion(), HttpResponseStatus.OK, Unpooled.copiedBuffer(WHO_AM_I.toByteArray()))
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain")
                HttpUtil.setContentLength(response, response.content().readableBytes().toLong())
                HttpUtil.setKeepAlive(response, keepAlive)
                ctx.writeAndFlush(response)
            }, delayOf(URI(request.uri())), TimeUnit.MILLISECONDS)
        }
    }
}
