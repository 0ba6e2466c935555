package io.jcluster.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import kotlinx.serialization.json.JsonElement;
import kotlinx.serialization.json.JsonElementKt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The IPC layer from plain Java: JSON trees both ways, a call and its reply, no Kotlin coroutines in sight. */
class IpcJavaTest {
    @Test
    @Timeout(30)
    void javaCallerSendsCallsAndReceives() throws Exception {
        Path dir = Files.createTempDirectory("jcluster-java");
        try (IpcServer server = IpcServer.bind(dir.resolve("s.sock"));
             IpcConnection client = Ipc.connect(server.getPath())) {
            MessageChannel<JsonElement> clientLane = client.open(Lane.USER, JsonCodec.tree());
            CompletableFuture<String> heard = new CompletableFuture<>();
            clientLane.onMessage(incoming -> {
                if (incoming.getExpectsReply()) {
                    incoming.replyAsync(JsonElementKt.JsonPrimitive("pong"));
                } else {
                    heard.complete(incoming.getMessage().toString());
                }
            });
            IpcConnection serverSide = server.acceptAsync().get(10, TimeUnit.SECONDS);
            MessageChannel<JsonElement> serverLane = serverSide.open(Lane.USER, JsonCodec.tree());
            serverLane.sendAsync(JsonElementKt.JsonPrimitive("hello")).get(10, TimeUnit.SECONDS);
            assertEquals("\"hello\"", heard.get(10, TimeUnit.SECONDS));
            Incoming<JsonElement> reply = serverLane.callAsync(JsonElementKt.JsonPrimitive("ping")).get(10, TimeUnit.SECONDS);
            assertEquals("\"pong\"", reply.getMessage().toString());
            serverSide.close();
        } finally {
            Files.walk(dir).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
