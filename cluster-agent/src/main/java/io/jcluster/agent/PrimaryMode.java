package io.jcluster.agent;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * {@code java -javaagent:jcluster-agent.jar[=workers=4,...] -jar app.jar} with no worker environment:
 * this JVM becomes the primary. The launcher (Kotlin: cluster-run and cluster-core) runs in a class
 * loader of its own whose parent is the platform loader, so the app's libraries (its own Kotlin, say)
 * and ours never meet; the app's {@code main} never runs here. Its jars travel nested in the agent jar
 * ({@value #NESTED}) and are extracted once to a directory named by the agent jar's content.
 */
final class PrimaryMode {
    static final String NESTED = "META-INF/jcluster/run/";
    private static final String LAUNCHER = "io.jcluster.run.RunCommand";
    /** Where the launcher's classpath is, for a build that did not nest it (the specs; a development checkout). */
    static final String CLASSPATH_PROPERTY = "jcluster.run.classpath";

    private PrimaryMode() {
    }

    /** Runs the primary in place of the app, with the agent's options, and exits with the launcher's code. */
    static void run(String options, Instrumentation inst) {
        List<String> args = new ArrayList<>();
        try {
            args.addAll(AgentOptions.toLauncherArguments(options));
        } catch (IllegalArgumentException e) {
            fail(e.getMessage(), 2);
        }
        args.add("--");
        args.addAll(AppCommand.current(agentJar()));
        launch(args.toArray(new String[0]), inst);
    }

    /** Calls the launcher's {@code main} in its own loader; it exits the JVM when the cluster closes. */
    static void launch(String[] args, Instrumentation inst) {
        try {
            ClassLoader loader = new URLClassLoader("jcluster-run", launcherClasspath(), ClassLoader.getPlatformClassLoader());
            if (inst != null) openTo(inst, loader.getUnnamedModule());
            Thread.currentThread().setContextClassLoader(loader);
            String[] withAgent = new String[args.length + 2];
            withAgent[0] = "--agent-jar";
            withAgent[1] = agentJar().toString();
            System.arraycopy(args, 0, withAgent, 2, args.length);
            loader.loadClass(LAUNCHER).getMethod("main", String[].class).invoke(null, (Object) withAgent);
            System.exit(0);
        } catch (InvocationTargetException e) {
            e.getCause().printStackTrace();
            fail("the primary failed: " + e.getCause(), 1);
        } catch (ReflectiveOperationException | IOException e) {
            fail("cannot start the primary: " + e, 1);
        }
    }

    /**
     * The primary passes sockets to its workers, which needs {@code sun.nio.ch} open (and the JDK's
     * {@code HttpServer} internals, as cluster-ipc's {@code Ipc.jvmFlags} say): opened here to the
     * launcher's loader alone, so the user adds no flag. ({@code java -jar} has the manifest's {@code Add-Opens}.)
     */
    private static void openTo(Instrumentation inst, Module launcher) {
        inst.redefineModule(Object.class.getModule(), java.util.Set.of(), java.util.Map.of(),
            java.util.Map.of("sun.nio.ch", java.util.Set.of(launcher)), java.util.Set.of(), java.util.Map.of());
        ModuleLayer.boot().findModule("jdk.httpserver").ifPresent(http -> inst.redefineModule(http, java.util.Set.of(), java.util.Map.of(),
            java.util.Map.of("sun.net.httpserver", java.util.Set.of(launcher)), java.util.Set.of(), java.util.Map.of()));
    }

    private static void fail(String message, int code) {
        System.err.println("jcluster: " + message);
        System.exit(code);
    }

    static Path agentJar() {
        try {
            return Path.of(JclusterAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static URL[] launcherClasspath() throws IOException {
        String property = System.getProperty(CLASSPATH_PROPERTY);
        List<Path> entries = new ArrayList<>();
        if (property != null) {
            Arrays.stream(property.split(File.pathSeparator)).filter(s -> !s.isBlank()).map(Path::of).forEach(entries::add);
        } else {
            entries.addAll(extractNested(agentJar()));
        }
        if (entries.isEmpty()) throw new IOException(agentJar() + " carries no primary (no " + NESTED + "): use the jcluster-agent.jar of cluster-run/target");
        URL[] urls = new URL[entries.size()];
        for (int i = 0; i < urls.length; i++) urls[i] = entries.get(i).toUri().toURL();
        return urls;
    }

    /** The nested jars, extracted once per agent jar content to the user's cache (a changed jar: a new directory). */
    private static List<Path> extractNested(Path jar) throws IOException {
        Path dir = cacheRoot().resolve("run-" + digest(jar));
        List<Path> out = new ArrayList<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            for (JarEntry entry : (Iterable<JarEntry>) file.stream()::iterator) {
                if (!entry.getName().startsWith(NESTED) || !entry.getName().endsWith(".jar")) continue;
                Path target = dir.resolve(entry.getName().substring(NESTED.length()));
                if (!Files.isRegularFile(target)) {
                    Files.createDirectories(dir);
                    Path partial = Files.createTempFile(dir, "jar." + ProcessHandle.current().pid() + ".", ".tmp");
                    try (InputStream in = file.getInputStream(entry)) {
                        Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                    }
                    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
                out.add(target);
            }
        }
        return out;
    }

    private static String digest(Path jar) throws IOException {
        try (InputStream in = Files.newInputStream(jar)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) sha.update(buffer, 0, n);
            return HexFormat.of().formatHex(sha.digest()).substring(0, 24);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path cacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        return (xdg != null ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache")).resolve("jcluster");
    }
}
