package io.jcluster

import kotlinx.serialization.Serializable
import kotlinx.serialization.json.Json
import java.nio.file.Path

/**
 * One request on a control socket ([Plugins.control]), a JSON object on one line: [command] is
 * `status`, `stats`, `reload`, `restart`, `scale` (with [workers]) or `kill` (with [id]).
 */
@Serializable
public data class ControlRequest(val command: String, val workers: Int? = null, val id: Int? = null)

/** The answer to a [ControlRequest], one JSON line: [ok], with a [message] or an error, and the [stats] when asked for. */
@Serializable
public data class ControlReply(val ok: Boolean, val message: String? = null, val stats: ClusterStats? = null)

/** The control socket's wire format and where control sockets are found; shared by the plugin and `bin/jcluster`. */
public object ControlProtocol {
    /** The JSON of requests and replies: unknown fields are ignored, nulls left out. */
    @JvmField
    public val json: Json = Json { ignoreUnknownKeys = true; explicitNulls = false }

    /** The longest request line a control socket reads. */
    public const val MAX_LINE: Int = 64 * 1024

    /**
     * Where control sockets live unless told otherwise, first the one [Plugins.control] uses:
     * `$XDG_RUNTIME_DIR/jcluster`, then `<java.io.tmpdir>/jcluster-<uid>` (each mode 0700). `bin/jcluster`
     * looks in both, so that a service without `XDG_RUNTIME_DIR` is found from a login shell.
     */
    @JvmStatic
    public fun directories(): List<Path> = listOfNotNull(
        System.getenv("XDG_RUNTIME_DIR")?.takeIf { it.isNotBlank() }?.let { Path.of(it, "jcluster") },
        Path.of(System.getProperty("java.io.tmpdir"), "jcluster-${currentUid()}"),
    )

    /** `<first directory>/<main class>-<pid>.sock`: the control socket of this process by default. */
    @JvmStatic
    public fun defaultPath(): Path {
        val main = System.getProperty("sun.java.command")?.substringBefore(' ')?.substringAfterLast('.')?.substringAfterLast('/')
            ?.removeSuffix(".jar")?.filter { it.isLetterOrDigit() || it == '-' || it == '_' }?.ifEmpty { null } ?: "cluster"
        return directories().first().resolve("$main-${ProcessHandle.current().pid()}.sock")
    }

    private fun currentUid(): Long = com.sun.security.auth.module.UnixSystem().uid
}
