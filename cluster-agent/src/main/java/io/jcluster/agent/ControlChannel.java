package io.jcluster.agent;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The worker's end of the primary's control socket, in cluster-ipc's frame layout (see its
 * {@code WireFormat}: a 4-byte length, magic {@code 0x4A}, kind, handle count, flags, correlation id,
 * handle descriptors, payload) with cluster-core's JSON control messages. Only what an agent worker
 * says and hears: control frames out, calls with replies, and file descriptors in (a shared listener).
 * Reads are unbuffered so each received descriptor stays with the frame it came with.
 */
final class ControlChannel {
    static final byte MAGIC = 0x4A;
    static final int KIND_CONTROL = 1;
    static final int KIND_REPLY = 3;
    static final int KIND_ERROR_REPLY = 4;
    static final int FLAG_CALL = 1;
    private static final int HEADER_SIZE = 18;
    private static final int MAX_FRAME = 16 * 1024 * 1024;

    /** A frame as read: its JSON payload and the descriptors that came with it (now the caller's). */
    record Frame(int kind, int flags, long correlation, List<FileDescriptor> fds, String payload) {
        @SuppressWarnings("unchecked")
        Map<String, Object> message() {
            return (Map<String, Object>) Json.parse(payload);
        }
    }

    private final AFUNIXSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private final AtomicLong correlations = new AtomicLong();
    private final Map<Long, CompletableFuture<Frame>> calls = new ConcurrentHashMap<>();
    private final ArrayDeque<FileDescriptor> received = new ArrayDeque<>();

    private ControlChannel(AFUNIXSocket socket) throws IOException {
        this.socket = socket;
        socket.setAncillaryReceiveBufferSize(1024);
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects to the control socket at {@code path}. */
    static ControlChannel connect(Path path) throws IOException {
        return new ControlChannel(AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(path)));
    }

    /** Sends a one-way control message. */
    void send(Map<String, Object> message) throws IOException {
        write(KIND_CONTROL, 0, 0, message);
    }

    /** Sends a call and waits for its reply (or error reply, thrown as an {@link IOException}). */
    Frame call(Map<String, Object> message, long timeoutMillis) throws IOException {
        long id = correlations.incrementAndGet();
        CompletableFuture<Frame> reply = new CompletableFuture<>();
        calls.put(id, reply);
        try {
            write(KIND_CONTROL, FLAG_CALL, id, message);
            Frame frame = reply.get(timeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (frame.kind() == KIND_ERROR_REPLY) throw new IOException("the primary refused " + message.get("type") + ": " + frame.payload());
            return frame;
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("the primary did not answer " + message.get("type") + " within " + timeoutMillis + " ms");
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            throw new IOException("no answer from the primary to " + message.get("type") + ": " + e, e);
        } finally {
            calls.remove(id);
        }
    }

    /**
     * Reads frames until the primary closes the socket: replies complete their calls, control frames
     * go to {@code onControl}. Returns normally at the end of the stream, throws on a broken one.
     */
    void readUntilClosed(Consumer<Frame> onControl) throws IOException {
        DataInputStream data = new DataInputStream(in);
        try {
            while (true) {
                Frame frame = readFrame(data);
                if (frame.kind() == KIND_REPLY || frame.kind() == KIND_ERROR_REPLY) {
                    CompletableFuture<Frame> call = calls.remove(frame.correlation());
                    if (call != null) call.complete(frame);
                    else Descriptors.closeAll(frame.fds());
                } else {
                    onControl.accept(frame);
                }
            }
        } catch (EOFException end) {
            calls.values().forEach(c -> c.completeExceptionally(end));
        }
    }

    private Frame readFrame(DataInputStream data) throws IOException {
        int length = data.readInt();
        collect();
        if (length < HEADER_SIZE - 4 || length > MAX_FRAME) throw new IOException("malformed frame from the primary: length " + length);
        byte[] rest = new byte[length];
        data.readFully(rest);
        collect();
        ByteBuffer b = ByteBuffer.wrap(rest);
        if (b.get() != MAGIC) throw new IOException("malformed frame from the primary: bad magic");
        int kind = b.get();
        int handles = b.get() & 0xFF;
        int flags = b.get();
        long correlation = b.getLong();
        int descriptors = b.getShort() & 0xFFFF;
        b.position(b.position() + descriptors); // the descriptors say "TCP listener": the only handle a worker gets
        List<FileDescriptor> fds = new ArrayList<>();
        for (int i = 0; i < handles && !received.isEmpty(); i++) fds.add(received.removeFirst());
        String payload = new String(rest, b.position(), b.remaining(), StandardCharsets.UTF_8);
        return new Frame(kind, flags, correlation, fds, payload);
    }

    private void collect() throws IOException {
        FileDescriptor[] fds = socket.getReceivedFileDescriptors();
        if (fds != null) received.addAll(List.of(fds));
    }

    private synchronized void write(int kind, int flags, long correlation, Map<String, Object> message) throws IOException {
        byte[] payload = Json.write(message).getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE + payload.length);
        b.putInt(b.capacity() - 4).put(MAGIC).put((byte) kind).put((byte) 0).put((byte) flags)
            .putLong(correlation).putShort((short) 0).put(payload);
        out.write(b.array());
        out.flush();
    }

    /** Sends a reply to a call of the primary's (none today; kept so an unknown call is refused, not left hanging). */
    synchronized void replyError(long correlation, String text) throws IOException {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE + payload.length);
        b.putInt(b.capacity() - 4).put(MAGIC).put((byte) KIND_ERROR_REPLY).put((byte) 0).put((byte) 0)
            .putLong(correlation).putShort((short) 0).put(payload);
        out.write(b.array());
        out.flush();
    }
}
