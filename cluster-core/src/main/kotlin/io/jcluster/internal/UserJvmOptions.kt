package io.jcluster.internal

import io.jcluster.ClusterSettings

/**
 * The JVM options the user gave workers: [ClusterSettings.jvmArgs], and the options at the head of
 * [ClusterSettings.javaArgs] (`jcluster run -- -XX:+UseSerialGC -jar app.jar` puts them there), up
 * to its main class, `-jar` or `-m`. What jcluster adds to a worker's command line (a collector, a
 * heap share, what an `OutOfMemoryError` does) gives way to these: adding a collector beside the
 * user's stops the JVM ("Multiple garbage collectors selected").
 */
internal object UserJvmOptions {
    /** `java`'s options that take the next argument as their value. */
    private val WITH_VALUE = setOf(
        "-cp", "-classpath", "--class-path", "-p", "--module-path", "--upgrade-module-path", "--add-modules",
        "--add-opens", "--add-exports", "--add-reads", "--patch-module", "--limit-modules", "--enable-native-access",
    )

    fun of(settings: ClusterSettings): List<String> = settings.jvmArgs + optionsOf(settings.javaArgs.orEmpty())

    /** The options of a `java` command line ([args], without `java`), before what it runs. */
    fun optionsOf(args: List<String>): List<String> = buildList {
        var i = 0
        while (i < args.size) {
            val arg = args[i]
            if (arg == "-jar" || arg == "-m" || arg == "--module" || !arg.startsWith("-")) break
            add(arg)
            if (arg in WITH_VALUE) args.getOrNull(i + 1)?.let(::add).also { i++ }
            i++
        }
    }
}
