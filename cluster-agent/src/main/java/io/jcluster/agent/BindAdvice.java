package io.jcluster.agent;

import java.io.FileDescriptor;
import java.lang.reflect.InvocationTargetException;
import java.net.InetAddress;
import java.net.SocketAddress;
import net.bytebuddy.asm.Advice;

/**
 * The advice inlined into the binds of the JDK and of Netty's epoll transport. Being inlined into
 * {@code java.base} (or the app's Netty), it reaches the agent only through JDK types: reflection on
 * {@link ListenerBinder}, found by the system class loader (where {@code -javaagent} puts the agent).
 * Binds are rare, so the lookup's cost does not matter. When the binder took the bind, the original
 * method body is skipped; its exceptions (a {@link java.net.BindException}) are the app's own.
 */
final class BindAdvice {
    private BindAdvice() {
    }

    /** On {@code sun.nio.ch.Net.bind(ProtocolFamily, FileDescriptor, InetAddress, int)}. */
    static final class Jdk {
        private Jdk() {
        }

        @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
        static boolean enter(@Advice.Argument(0) Object family, @Advice.Argument(1) FileDescriptor fd,
                             @Advice.Argument(2) InetAddress address, @Advice.Argument(3) int port) throws Throwable {
            try {
                return (Boolean) Class.forName("io.jcluster.agent.ListenerBinder", true, ClassLoader.getSystemClassLoader())
                    .getMethod("bindJdk", Object.class, FileDescriptor.class, InetAddress.class, int.class)
                    .invoke(null, family, fd, address, port);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }

    /** On {@code io.netty.channel.unix.Socket.bind(SocketAddress)}; the socket's descriptor is {@code intValue()}. */
    static final class Netty {
        private Netty() {
        }

        @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
        static boolean enter(@Advice.This Object socket, @Advice.Argument(0) SocketAddress address) throws Throwable {
            try {
                int fd = (Integer) socket.getClass().getMethod("intValue").invoke(socket);
                return (Boolean) Class.forName("io.jcluster.agent.ListenerBinder", true, ClassLoader.getSystemClassLoader())
                    .getMethod("bindNetty", int.class, SocketAddress.class)
                    .invoke(null, fd, address);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }
}
