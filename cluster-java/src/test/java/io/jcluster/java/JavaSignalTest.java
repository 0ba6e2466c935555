package io.jcluster.java;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Signal actions written in Java: {@link SignalledCluster} runs as a real primary, and the test signals it. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JavaSignalTest {
    private static final long WAIT = 60;

    @Test
    void aJavaLambdaAndABuiltInActionAnswerTheirSignals() throws Exception {
        Process primary = start();
        BlockingQueue<String> lines = linesOf(primary);
        try {
            awaitLine(lines, "cluster: ready");
            signal(primary, "WINCH");
            awaitLine(lines, "WINCH from Java: one worker more");
            awaitLine(lines, "cluster: workers: 1 "); // 1 → 2 (the arrow, in whatever charset the child prints)
            signal(primary, "TTOU");
            awaitLine(lines, "cluster: workers: 2 "); // 2 → 1
            signal(primary, "TERM");
            assertEquals(true, primary.waitFor(WAIT, TimeUnit.SECONDS), "the primary exits on TERM");
            assertEquals(0, primary.exitValue());
        } finally {
            primary.descendants().forEach(ProcessHandle::destroyForcibly);
            primary.destroyForcibly();
        }
    }

    /** The primary, with this JVM's module openings (the IPC needs them) and class path. */
    private static Process start() throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(arg -> arg.startsWith("--add-opens") || arg.startsWith("--enable-native-access"))
                .forEach(command::add);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), SignalledCluster.class.getName()));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static BlockingQueue<String> linesOf(Process process) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (var in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    System.out.println("[signalled] " + line);
                    lines.add(line);
                }
            } catch (Exception ignored) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        return lines;
    }

    private static void awaitLine(BlockingQueue<String> lines, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (line != null && line.contains(text)) return;
        }
        throw new TimeoutException("no line with \"" + text + "\" within " + WAIT + " s");
    }

    private static void signal(Process process, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-s", signal, Long.toString(process.pid())).inheritIO().start();
        assertEquals(true, kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -s " + signal);
    }
}
