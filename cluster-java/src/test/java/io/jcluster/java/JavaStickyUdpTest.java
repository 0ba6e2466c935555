package io.jcluster.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jcluster.ClusterEvent;
import io.jcluster.ManagedCluster;
import io.jcluster.ClusterPlugin;
import io.jcluster.WorkerEvent;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Sticky sessions and a shared UDP socket from Java: {@link StickyUdpApp} in two worker JVMs. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JavaStickyUdpTest {
    private static final long WAIT = 60;
    private final Recorder<ClusterEvent> workerEvents = new Recorder<>();
    private final Recorder<WorkerEvent.Message> messages = new Recorder<>(); // JSON as maps
    private JavaCluster cluster;

    @AfterEach
    void killEveryWorker() {
        JavaClusterTest.killEveryWorker(cluster, workerEvents);
    }

    @Test
    void stickyByClientIpAndUdpSharedByBothWorkers() throws Exception {
        ClusterPlugin recorder = new ClusterPlugin() {
            @Override
            public void onStarting(ManagedCluster started) {
                JavaCluster.of(started).primary().onEvent(workerEvents);
                JavaCluster.of(started).primary().onMessage(messages);
            }
        };
        cluster = StickyUdpApp.builder(2).use(recorder).start().get(WAIT, TimeUnit.SECONDS);
        int port = workerEvents.await(WorkerEvent.Listening.class).getPort();

        Map<String, Integer> first = new HashMap<>();
        for (int i = 2; i < 22; i++) first.put("127.0.0." + i, idFrom("127.0.0." + i, port));
        for (Map.Entry<String, Integer> e : first.entrySet()) assertEquals(e.getValue(), idFrom(e.getKey(), port), e.getKey());
        assertEquals(2, new HashSet<>(first.values()).size(), "20 addresses spread over both workers: " + first);

        WorkerEvent.Message one = messages.await(WorkerEvent.Message.class, JavaStickyUdpTest::isUdp);
        WorkerEvent.Message other = messages.await(WorkerEvent.Message.class, m -> isUdp(m) && m.getWorker() != one.getWorker());
        assertEquals(portOf(one), portOf(other), "both workers share one UDP port");
        assertEquals(2, answeringWorkers(portOf(one), 60).size(), "datagrams reach both workers");
    }

    private static int portOf(WorkerEvent.Message message) {
        return ((Number) ((Map<?, ?>) message.getPayload()).get("port")).intValue();
    }

    private static boolean isUdp(WorkerEvent.Message message) {
        return message.getPayload() instanceof Map<?, ?> map && "udp".equals(map.get("type"));
    }

    private static int idFrom(String ip, int port) throws Exception {
        try (SocketChannel channel = SocketChannel.open()) {
            channel.bind(new InetSocketAddress(ip, 0));
            channel.connect(new InetSocketAddress("127.0.0.1", port));
            ByteBuffer buffer = ByteBuffer.allocate(64);
            while (channel.read(buffer) >= 0) { /* until the worker closes */ }
            return Integer.parseInt(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).trim());
        }
    }

    /** Sends {@code count} datagrams at once; the ids of the workers that answered, once all answered. */
    private static Set<Integer> answeringWorkers(int port, int count) throws Exception {
        Set<Integer> ids = new HashSet<>();
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            socket.setSoTimeout(10_000);
            InetAddress loopback = InetAddress.getByName("127.0.0.1");
            for (int i = 0; i < count; i++) {
                byte[] payload = ("d" + i).getBytes(StandardCharsets.UTF_8);
                socket.send(new DatagramPacket(payload, payload.length, loopback, port));
            }
            DatagramPacket reply = new DatagramPacket(new byte[512], 512);
            for (int i = 0; i < count; i++) {
                try {
                    socket.receive(reply);
                } catch (SocketTimeoutException e) {
                    break;
                }
                ids.add(Integer.parseInt(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8).split(" ")[0]));
            }
        }
        assertTrue(!ids.isEmpty(), "no datagram was answered");
        return ids;
    }
}
