package io.jcluster.java;

import io.jcluster.ClusterDatagram;
import io.jcluster.ClusterListener;
import io.jcluster.QuickBootKt;
import io.jcluster.StickySessions;
import io.jcluster.WorkerContext;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The app of {@link JavaStickyUdpTest}, through the facade only: a sticky round-robin listener that
 * answers each connection with the worker's id, and a UDP socket all workers share, which answers
 * each datagram with {@code "<worker id> <payload>"}; it tells the primary the UDP port.
 */
public final class StickyUdpApp implements JavaWorkerApp {
    static ClusterBuilder builder(int workers) {
        return Clusters.builder(StickyUdpApp.class)
                .workers(workers)
                .sticky(StickySessions.CLIENT_IP)
                .listen(0, "127.0.0.1")
                .timeout(Duration.ofSeconds(5))
                .mainClass(StickyUdpApp.class.getName())
                .args(List.of())
                .jvmArgs(QuickBootKt.getQUICK_BOOT()) // cluster-core's spec flags: C1, the serial collector
                .fastStart(false);
    }

    public static void main(String[] args) {
        builder(2).run();
    }

    @Override
    public void serve(WorkerContext context) throws Exception {
        JavaWorker worker = Clusters.worker();
        byte[] id = (worker.id() + "\n").getBytes(StandardCharsets.UTF_8);
        ClusterListener.Connections listener = (ClusterListener.Connections) Clusters.listen(context.getAddresses().get(0), context.getOptions()).get();
        listener.onConnection(connection -> {
            try (connection) {
                connection.write(ByteBuffer.wrap(id));
            } catch (IOException e) {
                return false;
            }
            return true;
        });
        listener.listening();
        ClusterDatagram udp = Clusters.listenDatagram(0, "127.0.0.1").get();
        Thread echo = new Thread(() -> echo(udp, worker.id()), "udp-echo");
        echo.setDaemon(true);
        echo.start();
        worker.onDisconnect(() -> { listener.close(); udp.close(); });
        worker.send(Map.of("type", "udp", "port", udp.getPort()));
    }

    private static void echo(ClusterDatagram udp, int id) {
        ByteBuffer buffer = ByteBuffer.allocate(512);
        try {
            while (true) {
                buffer.clear();
                SocketAddress sender = udp.getChannel().receive(buffer);
                String payload = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
                Thread.sleep(3); // busy a moment: the other worker reads the next datagrams
                udp.getChannel().send(ByteBuffer.wrap((id + " " + payload).getBytes(StandardCharsets.UTF_8)), sender);
            }
        } catch (IOException | InterruptedException closed) {
            // the socket closed: the worker is leaving
        }
    }
}
