package example.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** A plain Netty 4.2 HTTP app on epoll: {@code GET /} and {@code GET /slow?ms=N}; port from --port=N or PORT. */
public final class Main {
    public static void main(String[] args) throws InterruptedException {
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(EpollIoHandler.newFactory());
        Channel server = new ServerBootstrap()
                .group(boss, workers)
                .channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpServerKeepAliveHandler(),
                                new HttpObjectAggregator(65536), new AppHandler());
                    }
                })
                .bind(port(args)).sync().channel();
        // TERM: stop accepting, let requests in flight finish (up to 10 s), then stop the event loops.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close().syncUninterruptibly();
            drain(10_000);
            workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
            boss.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }));
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        System.out.println("netty-epoll serving on port " + port + " pid=" + ProcessHandle.current().pid());
        server.closeFuture().sync();
    }

    private static void drain(long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (AppHandler.IN_FLIGHT.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static int port(String[] args) {
        for (String arg : args) {
            if (arg.startsWith("--port=")) return Integer.parseInt(arg.substring(7));
        }
        String env = System.getenv("PORT");
        return env == null || env.isEmpty() ? 8080 : Integer.parseInt(env);
    }
}
