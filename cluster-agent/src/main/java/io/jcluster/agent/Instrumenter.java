package io.jcluster.agent;

import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.Map;
import java.util.Set;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.pool.TypePool;

/**
 * Puts {@link BindAdvice} on the two bind seams: the JDK's {@code sun.nio.ch.Net} (retransformed at
 * once: it may be loaded already) and Netty's {@code io.netty.channel.unix.Socket} (as the app loads
 * it, from whatever loader). A plain transformer that looks at two class names, rather than Byte Buddy's
 * {@code AgentBuilder}: the agent's start-up is every worker's, and this loads the least.
 */
final class Instrumenter implements ClassFileTransformer {
    private static final String NET = "sun/nio/ch/Net";
    private static final String NETTY_SOCKET = "io/netty/channel/unix/Socket";

    private Instrumenter() {
    }

    /** Opens what the agent reads by reflection, then instruments the seams. */
    static void install(Instrumentation inst) throws Exception {
        Module java = Object.class.getModule();
        Module agent = Instrumenter.class.getModule();
        inst.redefineModule(java, Set.of(), Map.of(), Map.of("sun.nio.ch", Set.of(agent)), Set.of(), Map.of());
        inst.addTransformer(new Instrumenter(), true);
        inst.retransformClasses(Class.forName("sun.nio.ch.Net"));
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined, ProtectionDomain domain, byte[] bytes) {
        if (!NET.equals(name) && !NETTY_SOCKET.equals(name)) return null;
        try {
            return NET.equals(name) ? advise(name, loader, bytes, jdk()) : advise(name, loader, bytes, netty());
        } catch (Throwable e) {
            // A transformer's exception is swallowed by the JVM: say it, or the app would bind alone.
            System.err.println("jcluster agent: cannot instrument " + name.replace('/', '.') + ": " + e);
            return null;
        }
    }

    private static AsmVisitorWrapper jdk() {
        return Advice.to(BindAdvice.Jdk.class).on(named("bind").and(isStatic()).and(takesArguments(4)).and(takesArgument(1, java.io.FileDescriptor.class)));
    }

    private static AsmVisitorWrapper netty() {
        return Advice.to(BindAdvice.Netty.class).on(named("bind").and(takesArguments(1)).and(takesArgument(0, java.net.SocketAddress.class)));
    }

    private static byte[] advise(String name, ClassLoader loader, byte[] bytes, AsmVisitorWrapper advice) {
        String binaryName = name.replace('/', '.');
        ClassFileLocator locator = new ClassFileLocator.Compound(
            ClassFileLocator.Simple.of(binaryName, bytes),
            loader == null ? ClassFileLocator.ForClassLoader.ofBootLoader() : ClassFileLocator.ForClassLoader.of(loader));
        return new ByteBuddy().with(TypeValidation.DISABLED)
            .redefine(TypePool.Default.WithLazyResolution.of(locator).describe(binaryName).resolve(), locator)
            .visit(advice)
            .make()
            .getBytes();
    }
}
