package io.jcluster.samples

import com.sun.net.httpserver.HttpExchange
import io.jcluster.ListenOptions
import io.jcluster.http.JdkHttp
import io.jcluster.http.Netty
import io.jcluster.http.RunningHttpServer
import io.netty.buffer.Unpooled
import io.netty.channel.ChannelHandler
import io.netty.channel.ChannelHandlerContext
import io.netty.channel.ChannelInboundHandlerAdapter
import io.netty.handler.codec.http.DefaultFullHttpResponse
import io.netty.handler.codec.http.HttpHeaderNames
import io.netty.handler.codec.http.HttpRequest
import io.netty.handler.codec.http.HttpResponseStatus
import io.netty.util.ReferenceCountUtil

/**
 * The HTTP server a worker of the main job answers with (`--server`): each one answers `Hello World`
 * and calls [onRequest] with the path of every request it answers, as Node's example sends a notify
 * per request.
 */
enum class HelloServer(val configName: String) {
    /** Netty on epoll, one event loop per processor the worker counts: the default, the fastest here (`bench/run main`). */
    NETTY("netty") {
        override suspend fun serve(port: Int, host: String, options: ListenOptions, onRequest: (String) -> Unit) =
            Netty.serve(port, host, options, handler = NettyHello(onRequest))
    },

    /** The JDK's `com.sun.net.httpserver`: no dependency at all, about half Netty's requests per processor. */
    JDK("jdk") {
        override suspend fun serve(port: Int, host: String, options: ListenOptions, onRequest: (String) -> Unit) =
            JdkHttp.serve(port, host, options) { exchange: HttpExchange ->
                exchange.use {
                    it.responseHeaders.add("Content-Type", TEXT)
                    it.sendResponseHeaders(200, BODY.size.toLong())
                    it.responseBody.write(BODY)
                }
                onRequest(exchange.requestURI.path)
            }
    },
    ;

    /** Serves hello world on [port] of [host], shared with the other workers; stops gracefully when the worker disconnects. */
    abstract suspend fun serve(port: Int, host: String, options: ListenOptions, onRequest: (String) -> Unit): RunningHttpServer

    override fun toString() = configName

    companion object {
        const val TEXT = "text/plain"
        val BODY = "Hello World\n".toByteArray()

        fun parse(name: String): HelloServer = entries.firstOrNull { it.configName == name }
            ?: throw IllegalArgumentException("unknown server '$name': use ${entries.joinToString("|")}")
    }
}

/** Answers each request as it is read and flushes once per read burst; the adapter's keep-alive handler honours `Connection: close`. */
@ChannelHandler.Sharable
private class NettyHello(private val onRequest: (String) -> Unit) : ChannelInboundHandlerAdapter() {
    override fun channelRead(ctx: ChannelHandlerContext, msg: Any) {
        try {
            if (msg is HttpRequest) {
                val response = DefaultFullHttpResponse(msg.protocolVersion(), HttpResponseStatus.OK, Unpooled.wrappedBuffer(HelloServer.BODY))
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, HelloServer.TEXT).setInt(HttpHeaderNames.CONTENT_LENGTH, HelloServer.BODY.size)
                ctx.write(response)
                onRequest(msg.uri().substringBefore('?'))
            }
        } finally {
            ReferenceCountUtil.release(msg)
        }
    }

    override fun channelReadComplete(ctx: ChannelHandlerContext) {
        ctx.flush()
    }

    /** A client that resets its connection (wrk does at the end of a run): closed without a warning and a stack trace each. */
    @Suppress("OVERRIDE_DEPRECATION")
    override fun exceptionCaught(ctx: ChannelHandlerContext, cause: Throwable) {
        ctx.close()
    }
}
