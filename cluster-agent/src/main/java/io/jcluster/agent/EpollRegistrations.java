package io.jcluster.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps a descriptor's {@code epoll} registrations across the agent's {@code dup2}. Netty 4.1's epoll
 * transport registers a server socket with its event loop before binding it; the {@code dup2} at the
 * bind then releases the socket the registration was for, the kernel drops the registration with it,
 * and Netty's next {@code epoll_ctl(MOD)} fails with ENOENT and closes the channel. So the agent reads
 * the registrations of the descriptor number from {@code /proc/self/fdinfo} before, and adds them
 * again after (through the JDK's own {@code sun.nio.ch.EPoll.ctl}: no JNI of our own).
 */
final class EpollRegistrations {
    /** An epoll instance {@code epfd} that watched the descriptor for {@code events}. */
    record Registration(int epfd, int events) {
    }

    private EpollRegistrations() {
    }

    /** The epoll instances of this process that watch descriptor {@code fd} with {@code fd} as their data ({@code data.fd}). */
    static List<Registration> of(int fd) throws IOException {
        List<Registration> found = new ArrayList<>();
        for (int epfd : ProcSelf.descriptors("anon_inode:[eventpoll]").keySet()) {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + epfd))) {
                Registration registration = parse(epfd, fd, line);
                if (registration != null) found.add(registration);
            }
        }
        return found;
    }

    /**
     * Removes {@code registrations} of descriptor {@code fd}, for the socket {@code fd} refers to now;
     * the ones it removed (one gone meanwhile, its selector or channel closed by the app, is skipped).
     */
    static List<Registration> remove(int fd, List<Registration> registrations) {
        List<Registration> removed = new ArrayList<>();
        for (Registration registration : registrations) {
            try {
                Descriptors.epollDelete(registration.epfd(), fd);
                removed.add(registration);
            } catch (IOException e) {
                // Gone already (the app closed its selector or its channel): nothing to move.
            }
        }
        return removed;
    }

    /** Adds {@code registrations} for descriptor {@code fd} again. */
    static void restore(int fd, List<Registration> registrations) throws IOException {
        for (Registration registration : registrations) Descriptors.epollAdd(registration.epfd(), fd, registration.events());
    }

    /** A line {@code tfd: 5 events: 19 data: 5 pos:0 ino:...} of an epoll descriptor's fdinfo, if it is about {@code fd}. */
    static Registration parse(int epfd, int fd, String line) {
        String[] words = line.trim().split("\\s+");
        if (words.length < 6 || !words[0].equals("tfd:") || !words[2].equals("events:") || !words[4].equals("data:")) return null;
        // The JDK and Netty 4.1 set data.fd, the low half of the 64-bit data; the high half is left as it was.
        if (Integer.parseInt(words[1]) != fd || (int) Long.parseUnsignedLong(words[5], 16) != fd) return null;
        return new Registration(epfd, (int) Long.parseLong(words[3], 16));
    }
}
