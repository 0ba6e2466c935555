package io.jcluster.java;

import io.jcluster.Advanced;
import io.jcluster.AdvancedSerialization;
import io.jcluster.ClusterListener;
import io.jcluster.WorkerContext;
import io.jcluster.WorkerPipe;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The app the Java tests' workers serve, written against the facade only: answers each connection
 * with its worker id and a newline, and each {@code {"type": "ping", "n": N}} message with a pong
 * that carries the worker's id and its {@code GREETING} variable. A {@code {"type": "burst", "n": N}}
 * makes it send the strings {@code "0"} to {@code "N-1"} without waiting for any, then disconnect.
 * Strings from the primary are counted: {@code "end"} answers with how many came, and how many of
 * them were {@code "0"}, {@code "1"}, … in order. A {@code {"type": "verb", "name": NAME}} answers
 * {@code isConnected}, answers on the pipe {@code java} in upper case ({@code pipe}), or ends the worker with {@code destroy}, {@code kill} or {@code exit} (with a {@code code}). A {@link Crew}
 * (an advanced message) comes back with {@code notes} saying whether its cycle arrived whole.
 */
public final class EchoApp implements JavaWorkerApp {
    @Override
    public void serve(WorkerContext context) throws Exception {
        AdvancedSerialization.allow(Crew.class);
        JavaWorker worker = Clusters.worker();
        long[] strings = {0, 0}; // received, in order; the listener runs one message at a time
        worker.onMessage(message -> {
            if ("end".equals(message.getPayload())) worker.send(Map.of("type", "received", "total", strings[0], "inOrder", strings[1]));
            else if (message.getPayload() instanceof String n && n.equals(Long.toString(strings[0]++))) strings[1]++;
            if (message.getPayload() instanceof Map<?, ?> ping && "ping".equals(ping.get("type"))) {
                String greeting = System.getenv().getOrDefault("GREETING", "");
                worker.send(Map.of("type", "pong", "n", ping.get("n"), "worker", worker.id(), "greeting", greeting));
            }
            if (message.getPayload() instanceof Map<?, ?> verb && "verb".equals(verb.get("type"))) obey(worker, verb);
            if (message.getPayload() instanceof Crew crew) {
                crew.notes.put("cycle", crew.mates.get(0).mates.get(0) == crew);
                crew.notes.put("seenBy", worker.id());
                worker.send(Advanced.of(crew));
            }
            if (message.getPayload() instanceof Map<?, ?> burst && "burst".equals(burst.get("type"))) {
                long n = (Long) burst.get("n");
                for (long i = 0; i < n; i++) worker.send(Long.toString(i)); // unawaited, as a Java caller would
                worker.disconnect();
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

    /** The worker's own verbs, as {@code {"type": "verb", "name": NAME}} asks. */
    private static void obey(JavaWorker worker, Map<?, ?> verb) {
        switch ((String) verb.get("name")) {
            case "isConnected" -> worker.send(Map.of("type", "connected", "value", worker.isConnected()));
            case "pipe" -> worker.pipe("java").thenAccept(EchoApp::shout);
            case "destroy" -> worker.destroy();
            case "kill" -> worker.kill();
            case "exit" -> worker.exit(((Long) verb.get("code")).intValue());
            default -> throw new IllegalArgumentException("no verb " + verb);
        }
    }

    /** Answers what comes on {@code pipe} in upper case, on it, once the primary closed its side. */
    private static void shout(WorkerPipe pipe) {
        Thread answer = new Thread(() -> {
            try (pipe) {
                String text = new String(pipe.getInput().readAllBytes(), StandardCharsets.UTF_8);
                pipe.getOutput().write(text.toUpperCase().getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "echo-pipe");
        answer.start();
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
