package io.jcluster.bench

import io.jcluster.ListenOptions
import io.jcluster.http.JdkHttp
import io.jcluster.http.Jetty
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
import org.eclipse.jetty.http.HttpHeader
import org.eclipse.jetty.io.Content
import org.eclipse.jetty.server.Handler
import org.eclipse.jetty.server.Request
import org.eclipse.jetty.server.Response
import org.eclipse.jetty.util.Callback

/**
 * The bench's HTTP servers: each adapter answers every request with 200 `Hello World` (text/plain,
 * with a Content-Length), the response Node's peer (bench/node/http-cluster.js) gives, in the way
 * that server's own hello-world examples do it.
 */
enum class HelloWorld(val configName: String) {
    JDK("jdk") {
        override suspend fun serve(port: Int, host: String, options: ListenOptions) = JdkHttp.serve(port, host, options) { exchange ->
            exchange.responseHeaders.set("Content-Type", TEXT)
            exchange.sendResponseHeaders(200, BYTES.size.toLong())
            exchange.responseBody.use { it.write(BYTES) }
        }
    },
    JETTY("jetty") {
        override suspend fun serve(port: Int, host: String, options: ListenOptions) = Jetty.serve(port, host, options, handler = JettyHello())
    },
    NETTY("netty") {
        override suspend fun serve(port: Int, host: String, options: ListenOptions) = Netty.serve(port, host, options, handler = NettyHello())
    },
    ;

    /**
     * Serves hello world on [port] of [host] through this adapter, as `server.listen(port)` does in
     * Node: shared with the other workers in a worker (stopped gracefully when it disconnects), alone
     * in the primary.
     */
    abstract suspend fun serve(port: Int, host: String, options: ListenOptions): RunningHttpServer

    override fun toString() = configName

    companion object {
        const val BODY = "Hello World"
        const val TEXT = "text/plain"
        private val BYTES = BODY.toByteArray()

        fun parse(name: String): HelloWorld = entries.firstOrNull { it.configName == name }
            ?: throw IllegalArgumentException("unknown adapter '$name': use ${entries.joinToString("|")}")
    }
}

/** Never blocks, so Jetty may run it on the selector thread. */
private class JettyHello : Handler.Abstract.NonBlocking() {
    override fun handle(request: Request, response: Response, callback: Callback): Boolean {
        response.headers.put(HttpHeader.CONTENT_TYPE, HelloWorld.TEXT)
        response.headers.put(HttpHeader.CONTENT_LENGTH, HelloWorld.BODY.length.toLong())
        Content.Sink.write(response, true, HelloWorld.BODY, callback)
        return true
    }
}

/** Answers each request as it is read and flushes once per read burst; the adapter's keep-alive handler honours `Connection: close`. */
@ChannelHandler.Sharable
private class NettyHello : ChannelInboundHandlerAdapter() {
    override fun channelRead(ctx: ChannelHandlerContext, msg: Any) {
        try {
            if (msg is HttpRequest) {
                val response = DefaultFullHttpResponse(msg.protocolVersion(), HttpResponseStatus.OK, Unpooled.wrappedBuffer(BODY))
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, HelloWorld.TEXT).setInt(HttpHeaderNames.CONTENT_LENGTH, BODY.size)
                ctx.write(response)
            }
        } finally {
            ReferenceCountUtil.release(msg)
        }
    }

    override fun channelReadComplete(ctx: ChannelHandlerContext) {
        ctx.flush()
    }

    /** wrk resets its connections when a run ends: close them without a warning and stack trace each. */
    override fun exceptionCaught(ctx: ChannelHandlerContext, cause: Throwable) {
        ctx.close()
    }

    private companion object {
        val BODY = HelloWorld.BODY.toByteArray()
    }
}
