package io.jcluster.agent;


import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * Puts {@link BindHook} on the two bind seams: the JDK's {@code sun.nio.ch.Net} (retransformed at
 * once: it may be loaded already) and Netty's {@code io.netty.channel.unix.Socket} (as the app loads
 * it, from whatever loader); and a counter on the JDK's accepted connections
 * ({@code ServerSocketChannelImpl.finishAccept}, reached only by an accept that took one), which the
 * heartbeat reports. A plain transformer that looks at three class names and rewrites one method
 * each with ASM: the agent's start-up is every worker's, and this loads the least.
 */
final class Instrumenter implements ClassFileTransformer {
    private static final String NET = "sun/nio/ch/Net";
    private static final String NETTY_SOCKET = "io/netty/channel/unix/Socket";
    private static final String SERVER_CHANNEL = "sun/nio/ch/ServerSocketChannelImpl";

    /** Counted down once {@code sun.nio.ch} is open to the agent; null until a worker's premain starts that. */
    private static volatile CountDownLatch opened;

    private Instrumenter() {
    }

    /**
     * Instruments the seams: each as it loads, or at once if it is loaded already (not in an ordinary
     * JVM). What takes time, {@link #prepareInBackground} does while the app's {@code main} starts.
     */
    static void install(Instrumentation inst) throws Exception {
        inst.addTransformer(new Instrumenter(), true);
        List<Class<?>> loaded = new ArrayList<>();
        for (Class<?> type : inst.getAllLoadedClasses()) {
            String name = type.getName();
            if (name.equals("sun.nio.ch.Net") || name.equals("sun.nio.ch.ServerSocketChannelImpl")) loaded.add(type);
        }
        if (!loaded.isEmpty()) inst.retransformClasses(loaded.toArray(new Class<?>[0]));
    }

    /**
     * On a thread of its own: opens {@code sun.nio.ch} to the agent (a first {@code redefineModule}
     * costs tens of ms: the JDK spins its lambdas up), then loads {@code sun.nio.ch.Net}, so
     * instruments it (ASM's classes loaded, a first transform interpreted). The app's first socket
     * finds {@code Net} ready, or waits for this load as for any class's; what reads
     * {@code sun.nio.ch} by reflection waits for the opening ({@link #awaitOpened}).
     */
    static void prepareInBackground(Instrumentation inst, boolean timing) {
        CountDownLatch latch = new CountDownLatch(1);
        opened = latch;
        Thread prepare = new Thread(new Runnable() { // not a lambda: premain would spin the JDK's up
            @Override
            public void run() {
                prepare(inst, latch, timing);
            }
        }, "jcluster-agent-instrument");
        prepare.setDaemon(true);
        prepare.start();
    }

    /** Returns once {@code sun.nio.ch} is open to the agent: at once where no worker's premain opens it. */
    static void awaitOpened() {
        CountDownLatch latch = opened;
        if (latch == null) return;
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private static void prepare(Instrumentation inst, CountDownLatch latch, boolean timing) {
        long start = System.nanoTime();
        try {
            inst.redefineModule(Object.class.getModule(), Set.of(), Map.of(), Map.of("sun.nio.ch", Set.of(Instrumenter.class.getModule())), Set.of(), Map.of());
        } catch (RuntimeException | LinkageError e) {
            System.err.println("jcluster agent: this worker cannot take the app's listeners: " + e);
            WorkerAgent.exit(WorkerAgent.EXIT_PRIMARY_GONE);
        } finally {
            latch.countDown();
        }
        try {
            Class.forName("sun.nio.ch.Net");
        } catch (ClassNotFoundException | LinkageError e) {
            System.err.println("jcluster agent: cannot load sun.nio.ch.Net: " + e);
        }
        if (timing) System.err.println("jcluster agent: instrumented in " + (System.nanoTime() - start) / 1_000_000 + " ms");
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined, ProtectionDomain domain, byte[] bytes) {
        if (!NET.equals(name) && !NETTY_SOCKET.equals(name) && !SERVER_CHANNEL.equals(name)) return null;
        try {
            if (SERVER_CHANNEL.equals(name)) {
                return BindHook.count(bytes, "finishAccept", "(Ljava/io/FileDescriptor;Ljava/net/SocketAddress;)Ljava/nio/channels/SocketChannel;", "accepted");
            }
            return NET.equals(name)
                ? BindHook.hook(bytes, "bind", "(Ljava/net/ProtocolFamily;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)V", "bindJdk")
                : BindHook.hook(bytes, "bind", "(Ljava/net/SocketAddress;)V", "bindNetty");
        } catch (Throwable e) {
            // A transformer's exception is swallowed by the JVM: say it, or the app would bind alone.
            System.err.println("jcluster agent: cannot instrument " + name.replace('/', '.') + ": " + e);
            return null;
        }
    }
}
