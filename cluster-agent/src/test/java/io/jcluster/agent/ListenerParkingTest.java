package io.jcluster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Parking the app's listener, as a stopping worker does, in one process: the other workers' copy is a second descriptor. */
class ListenerParkingTest {
    @Test
    void aParkedListenerTakesNoConnectionAndItsSelectorSleeps() throws Exception {
        try (ServerSocketChannel app = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             ServerSocketChannel othersCopy = ServerSocketChannel.open();
             Selector selector = Selector.open()) {
            int port = ((InetSocketAddress) app.getLocalAddress()).getPort();
            // The other workers hold the shared socket too: a second descriptor for it keeps it open.
            Descriptors.replace(Descriptors.number(Descriptors.ofChannel(othersCopy)), Descriptors.ofChannel(app));
            app.configureBlocking(false);
            app.register(selector, SelectionKey.OP_ACCEPT);
            selector.selectNow(); // the JDK adds the registration to its epoll here

            ListenerParking.shared(Descriptors.number(Descriptors.ofChannel(app)));
            ListenerParking.parkAll();

            try (SocketChannel client = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                assertEquals(null, app.accept(), "the app's listener takes nothing once parked");
                // The connection waits in the shared queue; the app's selector must not wake for it
                // (a registration left on the shared socket would wake it at once, again and again).
                long start = System.nanoTime();
                int ready = selector.select(300);
                long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertEquals(0, ready);
                assertTrue(waited >= 250, () -> "the selector woke after " + waited + " ms for a connection it cannot take");
            }
        }
    }
}
