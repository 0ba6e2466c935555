package io.jcluster.run

import java.nio.file.Files
import java.nio.file.Path

/**
 * Checks `JAVA_ARGS`, what the user would give `java`, before any worker starts with them: a command
 * `java` would refuse would otherwise fail in every worker, over and over, until the boot budget ran out.
 */
internal object JavaArgs {
    /** `java`'s options that take the next argument as their value. */
    private val WITH_VALUE = setOf(
        "-cp", "-classpath", "--class-path", "-p", "--module-path", "--upgrade-module-path", "--add-modules",
        "--add-opens", "--add-exports", "--add-reads", "--patch-module", "--limit-modules", "--enable-native-access",
    )

    /** [args] if `java` would run them: a main class, `-jar FILE` or `-m MODULE`, after well-formed options. */
    fun check(args: List<String>): List<String> {
        if (args.isEmpty()) throw UsageException("no JAVA_ARGS: give what you would give java after --, for example: jcluster run -- -jar app.jar")
        var i = 0
        while (i < args.size) {
            val arg = args[i]
            when {
                arg == "-jar" -> return args.also { jar(args.getOrNull(i + 1)) }
                arg == "-m" || arg == "--module" -> return args.also { value(args, i) }
                arg in WITH_VALUE -> value(args, i).also { i++ }
                arg.startsWith("-javaagent:jcluster") || arg.contains("jcluster-agent") && arg.startsWith("-javaagent:") ->
                    throw UsageException("JAVA_ARGS carry jcluster's agent ($arg): jcluster run adds it to each worker; remove it")
                arg.startsWith("-") -> Unit
                else -> return args // the main class; the rest are its arguments
            }
            i++
        }
        throw UsageException("JAVA_ARGS (${args.joinToString(" ")}) name no main class, -jar FILE or -m MODULE: give what you would give java")
    }

    private fun value(args: List<String>, i: Int): String =
        args.getOrNull(i + 1)?.takeUnless { it.startsWith("-") && args[i] != "--add-opens" }
            ?: throw UsageException("JAVA_ARGS: ${args[i]} needs a value")

    private fun jar(path: String?) {
        if (path == null) throw UsageException("JAVA_ARGS: -jar needs a jar file")
        if (!Files.isRegularFile(Path.of(path))) throw UsageException("JAVA_ARGS: -jar $path: no such file")
    }
}
