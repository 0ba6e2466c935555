package io.jcluster.agent;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * This JVM's command line, less the {@code java} executable and this agent: what each worker runs
 * again (the primary adds the agent back, in worker mode). Taken from the OS ({@code /proc}) when it
 * tells it exactly; else rebuilt from the JVM's input arguments and {@code sun.java.command}, whose
 * arguments lose their quoting.
 */
final class AppCommand {
    private AppCommand() {
    }

    static List<String> current(Path agentJar) {
        List<String> args = ProcessHandle.current().info().arguments().map(Arrays::asList).orElseGet(AppCommand::rebuilt);
        List<String> out = new ArrayList<>();
        for (String arg : args) {
            if (arg.startsWith("-javaagent:") && isThisAgent(arg.substring("-javaagent:".length()), agentJar)) continue;
            out.add(arg);
        }
        return out;
    }

    private static boolean isThisAgent(String spec, Path agentJar) {
        String jar = spec.contains("=") ? spec.substring(0, spec.indexOf('=')) : spec;
        return Path.of(jar).toAbsolutePath().normalize().equals(agentJar.toAbsolutePath().normalize());
    }

    private static List<String> rebuilt() {
        List<String> out = new ArrayList<>(ManagementFactory.getRuntimeMXBean().getInputArguments());
        String[] command = System.getProperty("sun.java.command", "").split(" ");
        String classpath = System.getProperty("java.class.path", "");
        if (command[0].endsWith(".jar") && command[0].equals(classpath)) {
            out.add("-jar");
        } else {
            out.add("-cp");
            out.add(classpath);
        }
        out.addAll(Arrays.asList(command));
        return out;
    }
}
