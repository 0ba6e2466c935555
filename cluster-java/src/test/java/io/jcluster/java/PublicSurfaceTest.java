package io.jcluster.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jcluster.http.JdkHttp;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No public method of the public packages of cluster-http-adapter ({@code io.jcluster.http}) and
 * cluster-java ({@code io.jcluster.java}) is one Java cannot call: a name Kotlin mangled (a value class
 * such as {@code kotlin.time.Duration} among the parameters gives {@code stop-VtjQ1oo}) or a
 * {@code suspend} function (a {@code Continuation} parameter). Kotlin-only members are hidden from Java:
 * synthetic ({@code @JvmSynthetic}), or named with a leading {@code -} ({@code @JvmName("-…")}, as OkHttp
 * does), with a Java way to do the same beside them.
 */
class PublicSurfaceTest {
    @Test
    void javaSeesNoMangledNameAndNoSuspendFunction() throws Exception {
        List<String> leaks = new ArrayList<>();
        for (Class<?> anchor : List.of(JdkHttp.class, JavaWorker.class)) {
            for (Class<?> type : publicClassesOf(anchor)) {
                for (Method method : type.getDeclaredMethods()) {
                    if (Modifier.isPublic(method.getModifiers()) && visibleToJava(method) && unusable(method)) {
                        leaks.add(type.getName() + "." + method.getName());
                    }
                }
            }
        }
        assertEquals(List.of(), leaks.stream().sorted().toList(),
                "public methods Java sees but cannot call: hide them (@JvmSynthetic or @JvmName(\"-…\")) beside a Java way in");
    }

    @Test
    void theScanFindsTheClassesItChecks() throws Exception {
        List<String> names = Stream.of(JdkHttp.class, JavaWorker.class).flatMap(anchor -> publicClassesOf(anchor).stream())
                .map(Class::getSimpleName).toList();
        assertTrue(names.containsAll(List.of("JdkHttp", "Jetty", "Netty", "RunningHttpServer", "HttpAdapter", "JavaWorker", "Clusters")), names.toString());
    }

    private static boolean visibleToJava(Method method) {
        return !method.isSynthetic() && !method.isBridge() && !method.getName().startsWith("-");
    }

    private static boolean unusable(Method method) {
        return method.getName().contains("-")
                || Stream.of(method.getParameterTypes()).anyMatch(p -> p.getName().equals("kotlin.coroutines.Continuation"));
    }

    /**
     * The public classes of {@code anchor}'s package (not its subpackages, such as {@code internal}),
     * read from the directory or jar it was loaded from. Classes the Kotlin compiler generates for
     * lambdas and inlined code ({@code JavaPrimary$onMessage$$inlined$map$1}) are left out: they are
     * public in the bytecode, but no one can name them by accident.
     */
    private static List<Class<?>> publicClassesOf(Class<?> anchor) {
        String packagePath = anchor.getPackageName().replace('.', '/') + "/";
        List<Class<?>> classes = new ArrayList<>();
        for (String entry : classFiles(anchor)) {
            if (!entry.startsWith(packagePath)) continue;
            String relative = entry.substring(packagePath.length());
            if (relative.contains("/") || !relative.endsWith(".class")) continue;
            String binary = anchor.getPackageName() + "." + relative.substring(0, relative.length() - ".class".length());
            if (generated(binary)) continue;
            try {
                Class<?> type = Class.forName(binary, false, anchor.getClassLoader());
                if (Modifier.isPublic(type.getModifiers()) && !type.isSynthetic()) classes.add(type);
            } catch (ClassNotFoundException | LinkageError optional) {
                // a class that needs an optional dependency the tests lack: nothing Java could call either
            }
        }
        return classes;
    }

    /** A class the compiler made: a `$`-segment that is not a capitalised name (`$1`, `$serve$2`, `$$inlined`). */
    private static boolean generated(String binary) {
        String[] parts = binary.substring(binary.lastIndexOf('.') + 1).split("\\$", -1);
        for (int i = 1; i < parts.length; i++) {
            if (parts[i].isEmpty() || !Character.isUpperCase(parts[i].charAt(0))) return true;
        }
        return false;
    }

    /** The paths of the class files beside {@code anchor}'s: in its classes directory, or its jar. */
    private static List<String> classFiles(Class<?> anchor) {
        try {
            Path root = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(root)) {
                try (Stream<Path> files = Files.walk(root)) {
                    return files.filter(Files::isRegularFile).map(f -> root.relativize(f).toString().replace('\\', '/')).toList();
                }
            }
            try (JarFile jar = new JarFile(root.toFile())) {
                return jar.stream().map(java.util.zip.ZipEntry::getName).toList();
            }
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("cannot list the classes beside " + anchor.getName(), e);
        }
    }
}
