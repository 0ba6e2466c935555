package io.jcluster.agent;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** This process's descriptors as {@code /proc/self/fd} shows them: no reflection, so usable anywhere. */
final class ProcSelf {
    private static final Path FDS = Path.of("/proc/self/fd");

    private ProcSelf() {
    }

    /** What descriptor {@code fd} refers to ("socket:[1234]", "anon_inode:[eventpoll]"), or null if it is closed. */
    static String link(int fd) {
        try {
            return Files.readSymbolicLink(FDS.resolve(Integer.toString(fd))).toString();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * This process's open descriptors whose link starts with {@code prefix} ("socket:",
     * "anon_inode:[eventpoll]"): each number with its link. One closed while it is listed is left out.
     */
    static Map<Integer, String> descriptors(String prefix) throws IOException {
        Map<Integer, String> found = new HashMap<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(FDS)) {
            for (Path entry : fds) {
                int fd = Integer.parseInt(entry.getFileName().toString());
                String link = link(fd);
                if (link != null && link.startsWith(prefix)) found.put(fd, link);
            }
        }
        return found;
    }
}
