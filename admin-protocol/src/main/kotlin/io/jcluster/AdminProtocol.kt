package io.jcluster

import kotlinx.serialization.Serializable
import kotlinx.serialization.json.Json
import java.nio.file.Path

/**
 * One request on a cluster's admin socket (the control plugin's), a JSON object on one line:
 * [command] is `status`, `stats`, `reload`, `restart`, `scale` (with [workers]), `kill` (with [id]),
 * `upgrade` (with [argv], the new primary's command line, or none: the old primary's own) or `logs`
 * (the last [lines] output lines of worker [id], or of all; with [follow], the connection stays open
 * and more replies bring each new line until the client leaves or the cluster closes).
 */
@Serializable
public data class AdminRequest(
    val command: String,
    val workers: Int? = null,
    val id: Int? = null,
    val argv: List<String>? = null,
    val lines: Int? = null,
    val follow: Boolean? = null,
)

/**
 * The answer to an [AdminRequest], one JSON line: [ok], with a [message] or an error, the [stats] when
 * asked for, after an `upgrade` the new primary's pid ([upgradedTo]), and the [output] lines of `logs`
 * (a followed `logs` also sends replies without lines now and then, to notice a client that left).
 */
@Serializable
public data class AdminReply(
    val ok: Boolean,
    val message: String? = null,
    val stats: ClusterStats? = null,
    val upgradedTo: Long? = null,
    val output: List<OutputLine>? = null,
)

/** One line a worker printed ([stderr] if on its standard error), as `logs` returns it. */
@Serializable
public data class OutputLine(val worker: Int, val text: String, val stderr: Boolean = false)

/** The admin socket's wire format and where admin sockets are found; shared by the control plugin and `bin/jcluster`. */
public object AdminProtocol {
    /** The JSON of requests and replies: unknown fields are ignored, nulls left out. */
    @JvmField
    public val json: Json = Json { ignoreUnknownKeys = true; explicitNulls = false }

    /** The longest request line an admin socket reads. */
    public const val MAX_LINE: Int = 64 * 1024

    /**
     * Where admin sockets live unless told otherwise, first the one the control plugin uses:
     * `$XDG_RUNTIME_DIR/jcluster`, then `<java.io.tmpdir>/jcluster-<uid>` (each mode 0700). `bin/jcluster`
     * looks in both, so that a service without `XDG_RUNTIME_DIR` is found from a login shell.
     */
    @JvmStatic
    public fun directories(): List<Path> = listOfNotNull(
        System.getenv("XDG_RUNTIME_DIR")?.takeIf { it.isNotBlank() }?.let { Path.of(it, "jcluster") },
        Path.of(System.getProperty("java.io.tmpdir"), "jcluster-${currentUid()}"),
    )

    /** `<first directory>/<main class>-<pid>.sock`: the admin socket of this process by default. */
    @JvmStatic
    public fun defaultPath(): Path {
        val main = System.getProperty("sun.java.command")?.substringBefore(' ')?.substringAfterLast('.')?.substringAfterLast('/')
            ?.removeSuffix(".jar")?.filter { it.isLetterOrDigit() || it == '-' || it == '_' }?.ifEmpty { null } ?: "cluster"
        return directories().first().resolve("$main-${ProcessHandle.current().pid()}.sock")
    }

    private fun currentUid(): Long = com.sun.security.auth.module.UnixSystem().uid
}
