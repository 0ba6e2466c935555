package io.jcluster.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's descriptors as {@code /proc/self/fd} shows them: no reflection, so usable anywhere. */
final class ProcSelf {
    private ProcSelf() {
    }

    /** What descriptor {@code fd} refers to ("socket:[1234]", "anon_inode:[eventpoll]"), or null if it is closed. */
    static String link(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException e) {
            return null;
        }
    }
}
