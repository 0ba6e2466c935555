package io.jcluster.java;

import com.sun.net.httpserver.HttpHandler;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Handlers of each adapter's server, written in Java, that answer every request 200 with a fixed body. */
final class JavaHandlers {
    private JavaHandlers() {}

    static HttpHandler jdk(String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return exchange -> {
            exchange.sendResponseHeaders(200, bytes.length);
            try (var out = exchange.getResponseBody()) { out.write(bytes); }
        };
    }

    static Handler jetty(String body) {
        return new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.getBytes(StandardCharsets.UTF_8).length);
                Content.Sink.write(response, true, body, callback);
                return true;
            }
        };
    }

    static ChannelHandler netty(String body) {
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                channel.pipeline().addLast(new HttpObjectAggregator(64 * 1024), new SimpleChannelInboundHandler<FullHttpRequest>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext context, FullHttpRequest request) {
                        var response = new DefaultFullHttpResponse(request.protocolVersion(), HttpResponseStatus.OK,
                                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
                        HttpUtil.setContentLength(response, response.content().readableBytes());
                        HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
                        context.writeAndFlush(response);
                    }
                });
            }
        };
    }
}
