package io.jcluster.agent;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.List;

/**
 * File-descriptor operations the JDK has and does not export, reached by reflection on
 * {@code sun.nio.ch} (the agent opens it to itself): no JNI of our own. The same on JDK 17 and 25.
 */
final class Descriptors {
    static {
        Instrumenter.awaitOpened(); // a worker's premain opens sun.nio.ch on another thread
    }

    private static final Method FD_VAL = method("sun.nio.ch.IOUtil", "fdVal", FileDescriptor.class);
    private static final Method NEW_FD = method("sun.nio.ch.IOUtil", "newFD", int.class);
    private static final Method CONFIGURE_BLOCKING = method("sun.nio.ch.IOUtil", "configureBlocking", FileDescriptor.class, boolean.class);
    private static final Method DUP2 = method("sun.nio.ch.InheritedChannel", "dup2", int.class, int.class);
    private static final Method CLOSE = method("sun.nio.ch.InheritedChannel", "close0", int.class);
    private static final Method EPOLL_CTL = method("sun.nio.ch.EPoll", "ctl", int.class, int.class, int.class, int.class);
    private static final Method LOCAL_ADDRESS = method("sun.nio.ch.Net", "localAddress", FileDescriptor.class);
    private static final Method AVAILABLE = method("sun.nio.ch.Net", "available", FileDescriptor.class);
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;

    private Descriptors() {
    }

    /** The number of {@code fd}. */
    static int number(FileDescriptor fd) {
        return (int) invokeQuietly(FD_VAL, fd);
    }

    /** A {@link FileDescriptor} for the number {@code fd} (which nothing else then owns). */
    static FileDescriptor of(int fd) {
        return (FileDescriptor) invokeQuietly(NEW_FD, fd);
    }

    /** The descriptor of a JDK socket channel ({@code sun.nio.ch}'s own field: the JDK has no getter). */
    static FileDescriptor ofChannel(java.nio.channels.Channel channel) {
        try {
            java.lang.reflect.Field field = channel.getClass().getDeclaredField("fd");
            field.setAccessible(true);
            return (FileDescriptor) field.get(channel);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("jcluster agent: cannot read the descriptor of a " + channel.getClass().getName() + ": " + e, e);
        }
    }

    /**
     * Makes descriptor number {@code target} refer to the socket of {@code source} ({@code dup2}): the
     * app's own descriptor then <em>is</em> the shared listener, and every later call on it is native.
     * Non-blocking, which every JDK channel handles in either mode (it parks on a non-blocking socket
     * in blocking mode) and Netty needs; the flag belongs to the socket, shared by every worker holding it.
     */
    static void replace(int target, FileDescriptor source) throws IOException {
        invoke(DUP2, number(source), target);
        invoke(CONFIGURE_BLOCKING, of(target), false);
    }

    /** {@code epoll_ctl(epfd, EPOLL_CTL_ADD, fd)} for {@code events}, with {@code fd} as the data. */
    static void epollAdd(int epfd, int fd, int events) throws IOException {
        int error = (int) invoke(EPOLL_CTL, epfd, EPOLL_CTL_ADD, fd, events);
        if (error != 0) throw new IOException("epoll_ctl(ADD) of descriptor " + fd + " on epoll " + epfd + " failed: errno " + error);
    }

    /** {@code epoll_ctl(epfd, EPOLL_CTL_DEL, fd)}: the epoll instance stops watching what {@code fd} refers to now. */
    static void epollDelete(int epfd, int fd) throws IOException {
        int error = (int) invoke(EPOLL_CTL, epfd, EPOLL_CTL_DEL, fd, 0);
        if (error != 0) throw new IOException("epoll_ctl(DEL) of descriptor " + fd + " on epoll " + epfd + " failed: errno " + error);
    }

    /** The local port of socket {@code fd} ({@code getsockname}), or null if it is no internet socket. */
    static Integer localPort(int fd) {
        try {
            return ((java.net.InetSocketAddress) invoke(LOCAL_ADDRESS, of(fd))).getPort();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The bytes waiting unread in socket {@code fd}'s receive queue ({@code FIONREAD}), or null if the kernel does not say (a listener). */
    static Integer unreadBytes(int fd) {
        try {
            return (Integer) invoke(AVAILABLE, of(fd));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Closes {@code fd}. */
    static void close(FileDescriptor fd) {
        try {
            invoke(CLOSE, number(fd));
        } catch (IOException ignored) {
            // Already closed: nothing to release.
        }
    }

    static void closeAll(List<FileDescriptor> fds) {
        fds.forEach(Descriptors::close);
    }

    private static Method method(String className, String name, Class<?>... parameters) {
        try {
            Method method = Class.forName(className).getDeclaredMethod(name, parameters);
            method.setAccessible(true);
            return method;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("jcluster agent: this JDK has no " + className + "." + name + " (" + e + "); JDK 17 to 25 do", e);
        }
    }

    private static Object invoke(Method method, Object... args) throws IOException {
        try {
            return method.invoke(null, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IOException io) throw io;
            throw new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object invokeQuietly(Method method, Object... args) {
        try {
            return invoke(method, args);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
