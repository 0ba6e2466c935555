package io.jcluster

/**
 * Finds a sticky session's key in the first bytes a client sent ([StickySessions.key]). It runs in
 * the primary, on the thread that reads those bytes for every connection: keep it quick, and do not block.
 */
public fun interface StickyKey {
    /**
     * The key in [firstBytes] (what the client sent so far, at most `peekBytes`); [NO_KEY] when these
     * bytes hold none and never will (the connection then goes by the client's IP address); or null to
     * wait for more bytes, until `peekBytes` came or `peekTimeout` passed. What it throws counts as [NO_KEY].
     */
    public fun keyOf(firstBytes: ByteArray): String?

    public companion object {
        /** What [keyOf] returns for a connection that has no key. */
        public const val NO_KEY: String = ""

        /**
         * The value of the cookie [name] in an HTTP/1 request's `Cookie` headers; [NO_KEY] once the
         * headers ended without it (a new visitor: by the client's IP address).
         */
        @JvmStatic
        public fun cookie(name: String): StickyKey {
            require(name.isNotBlank() && name.none { it in "=;, \t\r\n" }) { "not a cookie name: '$name'" }
            return StickyKey { bytes -> HttpHead.cookie(bytes, name) }
        }

        /** The value of the HTTP/1 request header [name] (case-insensitive); [NO_KEY] once the headers ended without it. */
        @JvmStatic
        public fun header(name: String): StickyKey {
            require(name.isNotBlank() && name.none { it == ':' || it.isWhitespace() }) { "not a header name: '$name'" }
            return StickyKey { bytes -> HttpHead.header(bytes, name) }
        }
    }
}

/** Reads headers from the start of an HTTP/1 request, as far as it came. */
private object HttpHead {
    fun cookie(bytes: ByteArray, name: String): String? {
        val (lines, complete) = lines(bytes)
        for (line in lines) {
            val value = valueOf(line, "cookie") ?: continue
            value.split(';').map { it.trim() }.firstOrNull { it.startsWith("$name=") }?.let { return it.substringAfter('=') }
        }
        return if (complete) StickyKey.NO_KEY else null
    }

    fun header(bytes: ByteArray, name: String): String? {
        val (lines, complete) = lines(bytes)
        lines.firstNotNullOfOrNull { valueOf(it, name) }?.let { return it }
        return if (complete) StickyKey.NO_KEY else null
    }

    /** The header lines that came whole, and whether the headers ended. */
    private fun lines(bytes: ByteArray): Pair<List<String>, Boolean> {
        val text = String(bytes, Charsets.ISO_8859_1)
        val end = text.indexOf("\r\n\r\n")
        val head = if (end >= 0) text.substring(0, end) else text.substringBeforeLast("\r\n", "")
        return head.split("\r\n").drop(1) to (end >= 0)
    }

    private fun valueOf(line: String, name: String): String? {
        val colon = line.indexOf(':')
        if (colon <= 0 || !line.substring(0, colon).trim().equals(name, ignoreCase = true)) return null
        return line.substring(colon + 1).trim()
    }
}
