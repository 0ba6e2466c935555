package io.jcluster.agent;


import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

    private Instrumenter() {
    }

    /**
     * Opens what the agent reads by reflection, then instruments the seams: each as it loads, or at once
     * if it is loaded already. Loading them here would instrument them before the app's {@code main},
     * ASM's class loading and a first, interpreted transform included: {@link #prepareInBackground}
     * does it meanwhile.
     */
    static void install(Instrumentation inst) throws Exception {
        Module java = Object.class.getModule();
        Module agent = Instrumenter.class.getModule();
        inst.redefineModule(java, Set.of(), Map.of(), Map.of("sun.nio.ch", Set.of(agent)), Set.of(), Map.of());
        inst.addTransformer(new Instrumenter(), true);
        List<Class<?>> loaded = new ArrayList<>();
        for (Class<?> type : inst.getAllLoadedClasses()) {
            String name = type.getName();
            if (name.equals("sun.nio.ch.Net") || name.equals("sun.nio.ch.ServerSocketChannelImpl")) loaded.add(type);
        }
        if (!loaded.isEmpty()) inst.retransformClasses(loaded.toArray(new Class<?>[0]));
    }

    /**
     * Loads {@code sun.nio.ch.Net} (so instruments it) on a thread of its own while the app's {@code main}
     * starts: the app's first socket finds it ready, or waits for this load as for any class's.
     */
    static void prepareInBackground(boolean timing) {
        Thread prepare = new Thread(() -> {
            long start = System.nanoTime();
            try {
                Class.forName("sun.nio.ch.Net");
            } catch (ClassNotFoundException | LinkageError e) {
                System.err.println("jcluster agent: cannot load sun.nio.ch.Net: " + e);
            }
            if (timing) System.err.println("jcluster agent: instrumented in " + (System.nanoTime() - start) / 1_000_000 + " ms");
        }, "jcluster-agent-instrument");
        prepare.setDaemon(true);
        prepare.start();
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
