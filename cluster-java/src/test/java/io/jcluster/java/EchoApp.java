package io.jcluster.java;

import io.jcluster.ClusterListener;
import io.jcluster.WorkerContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The app the Java tests' workers serve, written against the facade only: answers each connection
 * with its worker id and a newline, and each {@code {"type": "ping", "n": N}} message with a pong
 * that carries the worker's id and its {@code GREETING} variable.
 */
public final class EchoApp implements JavaWorkerApp {
    @Override
    public void serve(WorkerContext context) throws Exception {
        JavaWorker worker = Clusters.worker();
        worker.onMessage(message -> {
            if (message.getPayload() instanceof Map<?, ?> ping && "ping".equals(ping.get("type"))) {
                String greeting = System.getenv().getOrDefault("GREETING", "");
                worker.send(Map.of("type", "pong", "n", ping.get("n"), "worker", worker.id(), "greeting", greeting));
            }
        });
        ClusterListener listener = Clusters.listen(context.getAddresses().get(0), context.getOptions()).get();
        ServerSocketChannel channel = ((ClusterListener.Socket) listener).getChannel();
        channel.configureBlocking(true);
        Thread accept = new Thread(() -> answerAll(channel, worker.id()), "echo-accept");
        accept.setDaemon(true);
        accept.start();
        worker.onDisconnect(listener::close);
        listener.listening();
    }

    private static void answerAll(ServerSocketChannel channel, int id) {
        while (true) {
            try (SocketChannel connection = channel.accept()) {
                connection.write(ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.UTF_8)));
            } catch (IOException closed) {
                return;
            }
        }
    }
}
