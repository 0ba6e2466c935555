package io.jcluster.run.apps;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.Channel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Phaser;

/**
 * An app that knows nothing of jcluster: {@code ListenerApp KIND PORT...} serves HTTP on 127.0.0.1 at
 * each port with one JDK listener kind ({@code channel}, {@code socket}, {@code async}, {@code http}),
 * answering every request with its pid. A port of 0 takes any free port. It prints
 * {@code listening KIND PORT} for each, and {@code stopping} from its shutdown hook. Extra modes:
 * {@code exit} (System.exit(3) in main), {@code never} (never listens), {@code inet} (a channel of the
 * explicit INET family), {@code fork} (starts {@code sleep 600} of its own, prints {@code child PID}, then
 * serves as {@code channel}), {@code lazy} (a busy server, see {@link #lazy}).
 */
public final class ListenerApp {
    private static final String PID = Long.toString(ProcessHandle.current().pid());
    /** How long the {@code lazy} server leaves a request unread. */
    private static final long LAZY_MILLIS = 1_500;

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("stopping " + PID)));
        if (kind.equals("fork")) {
            System.out.println("child " + new ProcessBuilder("sleep", "600").start().pid());
            kind = "channel";
        }
        if (kind.equals("exit")) System.exit(3);
        if (kind.equals("never")) { Thread.sleep(Long.MAX_VALUE); }
        for (int i = 1; i < args.length; i++) {
            int port = Integer.parseInt(args[i]);
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
            int bound = switch (kind) {
                case "channel" -> channel(ServerSocketChannel.open(), address);
                case "inet" -> channel(ServerSocketChannel.open(java.net.StandardProtocolFamily.INET), address);
                case "socket" -> socket(address);
                case "async" -> async(address);
                case "http" -> http(address);
                case "lazy" -> lazy(address);
                default -> throw new IllegalArgumentException("unknown kind " + kind);
            };
            System.out.println("listening " + kind + " " + bound);
        }
        // The JVM's uptime once it listens (from JVM creation, the agent's premain included): start-up figures.
        System.out.println("up " + java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() + " ms");
        System.out.flush();
        if (kind.equals("async")) Thread.sleep(Long.MAX_VALUE); // its accept threads are daemons
    }

    private static int channel(ServerSocketChannel server, InetSocketAddress address) throws IOException {
        server.bind(address);
        thread(() -> {
            while (true) {
                try (SocketChannel client = server.accept()) {
                    readRequest(client.socket().getInputStream());
                    client.write(ByteBuffer.wrap(response()));
                }
            }
        });
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    private static int socket(InetSocketAddress address) throws IOException {
        ServerSocket server = new ServerSocket();
        server.bind(address);
        thread(() -> {
            while (true) {
                try (Socket client = server.accept()) {
                    readRequest(client.getInputStream());
                    client.getOutputStream().write(response());
                }
            }
        });
        return server.getLocalPort();
    }

    private static int async(InetSocketAddress address) throws IOException {
        AsynchronousServerSocketChannel server = AsynchronousServerSocketChannel.open().bind(address);
        server.accept(null, new CompletionHandler<AsynchronousSocketChannel, Void>() {
            @Override public void completed(AsynchronousSocketChannel client, Void unused) {
                server.accept(null, this);
                ByteBuffer in = ByteBuffer.allocate(8192);
                client.read(in, null, new CompletionHandler<Integer, Void>() {
                    @Override public void completed(Integer n, Void v) {
                        client.write(ByteBuffer.wrap(response()), null, new CompletionHandler<Integer, Void>() {
                            @Override public void completed(Integer w, Void x) { close(client); }
                            @Override public void failed(Throwable e, Void x) { close(client); }
                        });
                    }
                    @Override public void failed(Throwable e, Void v) { close(client); }
                });
            }
            @Override public void failed(Throwable e, Void unused) { }
        });
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    private static int http(InetSocketAddress address) throws IOException {
        HttpServer server = HttpServer.create(address, 0);
        server.createContext("/", exchange -> {
            byte[] body = PID.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Connection", "close");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) { out.write(body); }
        });
        server.start();
        // Graceful, as a framework's shutdown is: stop accepting, finish the exchanges in flight.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(1)));
        return server.getAddress().getPort();
    }

    /**
     * A server as busy as an event loop on a loaded machine: it reads each connection's request
     * {@link #LAZY_MILLIS} after accepting it (printing {@code accepted PORT}, the client's port). Its
     * shutdown hook does what frameworks do: it closes every connection whose request it has not
     * read yet, unanswered, and finishes the ones it has read.
     */
    private static int lazy(InetSocketAddress address) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open().bind(address);
        Set<SocketChannel> unread = ConcurrentHashMap.newKeySet();
        Phaser reading = new Phaser(1); // the shutdown hook, and each request being answered
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            unread.removeIf(client -> { close(client); return true; });
            reading.arriveAndAwaitAdvance();
        }));
        thread(() -> {
            while (true) {
                SocketChannel client = server.accept();
                unread.add(client);
                System.out.println("accepted " + ((InetSocketAddress) client.getRemoteAddress()).getPort());
                new Thread(() -> {
                    try {
                        Thread.sleep(LAZY_MILLIS);
                    } catch (InterruptedException ignored) {
                        return;
                    }
                    reading.register();
                    try (client) {
                        if (!unread.remove(client)) return;
                        readRequest(client.socket().getInputStream());
                        client.write(ByteBuffer.wrap(response()));
                    } catch (IOException ignored) {
                        // the client went away
                    } finally {
                        reading.arriveAndDeregister();
                    }
                }).start();
            }
        });
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    private static void close(Channel client) {
        try { client.close(); } catch (IOException ignored) { }
    }

    /** Reads up to the end of the request's headers. */
    private static void readRequest(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        for (int b; matched < 4 && (b = in.read()) >= 0; ) matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }

    private static byte[] response() {
        return ("HTTP/1.1 200 OK\r\nContent-Length: " + PID.length() + "\r\nConnection: close\r\n\r\n" + PID).getBytes(StandardCharsets.US_ASCII);
    }

    private interface Loop { void run() throws IOException; }

    private static void thread(Loop loop) {
        Thread t = new Thread(() -> {
            try { loop.run(); } catch (IOException e) { System.out.println("accept loop ended: " + e); }
        });
        t.start();
    }
}
