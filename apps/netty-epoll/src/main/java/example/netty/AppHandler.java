package example.netty;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Answers {@code /} at once and {@code /slow?ms=N} after N ms, scheduled on the event loop (no blocking). */
final class AppHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final long PID = ProcessHandle.current().pid();
    /** Requests received and not yet answered: the shutdown hook waits for them to drain. */
    static final AtomicInteger IN_FLIGHT = new AtomicInteger();

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        IN_FLIGHT.incrementAndGet();
        switch (uri.path()) {
            case "/" -> send(ctx, keepAlive, HttpResponseStatus.OK, "hello from netty-epoll pid=" + PID + "\n");
            case "/slow" -> {
                long ms = millis(uri.parameters().get("ms"));
                ctx.executor().schedule(() -> send(ctx, keepAlive, HttpResponseStatus.OK,
                        "slow " + ms + " ms pid=" + PID + "\n"), ms, TimeUnit.MILLISECONDS);
            }
            default -> send(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, "not found\n");
        }
    }

    private static long millis(List<String> values) {
        return values == null || values.isEmpty() ? 1000 : Long.parseLong(values.get(0));
    }

    private static void send(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        HttpUtil.setContentLength(response, response.content().readableBytes());
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.writeAndFlush(response).addListener(done -> IN_FLIGHT.decrementAndGet());
    }
}
