package io.jcluster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The kernel's count of what the app has not read, on the connections it accepted from a cluster port. */
class UnreadRequestsTest {
    private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    @Test
    void anAcceptedConnectionCountsUntilTheAppReadsItsRequest() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             ServerSocketChannel other = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            UnreadRequests.listening(((InetSocketAddress) server.getLocalAddress()).getPort());
            try (SocketChannel client = connect(server); SocketChannel accepted = server.accept();
                 SocketChannel elsewhere = connect(other); SocketChannel acceptedElsewhere = other.accept()) {
                client.write(ByteBuffer.wrap(REQUEST));
                elsewhere.write(ByteBuffer.wrap(REQUEST)); // on a port that is no cluster port: not counted
                awaitQueued(accepted);
                awaitQueued(acceptedElsewhere);
                assertEquals(1, UnreadRequests.unread().size(), () -> "unread: " + UnreadRequests.unread());

                long start = System.nanoTime();
                Thread reader = new Thread(() -> read(accepted));
                reader.start();
                assertEquals(0, UnreadRequests.awaitRead(5_000), "read by the app within the wait");
                assertEquals(0, Descriptors.unreadBytes(Descriptors.number(Descriptors.ofChannel(accepted))), "the wait ended once the app read, not before");
                assertTrue(System.nanoTime() - start < 4_000_000_000L, "returned once read, not at the bound");
                reader.join();
            }
        }
    }

    @Test
    void theWaitIsBoundedWhenTheAppNeverReads() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            UnreadRequests.listening(((InetSocketAddress) server.getLocalAddress()).getPort());
            try (SocketChannel client = connect(server); SocketChannel accepted = server.accept()) {
                client.write(ByteBuffer.wrap(REQUEST));
                awaitQueued(accepted);
                assertEquals(1, UnreadRequests.awaitRead(100));
            }
        }
    }

    private static SocketChannel connect(ServerSocketChannel server) throws IOException {
        return SocketChannel.open(server.getLocalAddress());
    }

    /** Waits (bounded) until the kernel holds the request for {@code accepted}: loopback delivers it at once. */
    private static void awaitQueued(SocketChannel accepted) throws InterruptedException {
        int fd = Descriptors.number(Descriptors.ofChannel(accepted));
        for (int i = 0; i < 500 && !Integer.valueOf(REQUEST.length).equals(Descriptors.unreadBytes(fd)); i++) Thread.sleep(10);
        assertEquals(REQUEST.length, Descriptors.unreadBytes(fd));
    }

    private static void read(SocketChannel accepted) {
        try {
            Thread.sleep(200);
            accepted.read(ByteBuffer.allocate(REQUEST.length));
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
