package io.jcluster.http

import java.io.BufferedInputStream
import java.io.ByteArrayOutputStream
import java.net.InetAddress
import java.net.Socket

/** A response as read off the wire; header names in lower case. */
data class RawResponse(val status: Int, val headers: Map<String, String>, val body: String) {
    val closes: Boolean get() = headers["connection"].equals("close", ignoreCase = true)
}

/**
 * One HTTP/1.1 connection driven by hand, so that a spec controls exactly which requests share it
 * and can see the server close it.
 */
class RawConnection(port: Int) : AutoCloseable {
    private val socket = Socket(InetAddress.getLoopbackAddress(), port).apply { soTimeout = 10_000 }
    private val input = BufferedInputStream(socket.getInputStream())

    fun send(path: String, close: Boolean = false) {
        val connection = if (close) "Connection: close\r\n" else ""
        socket.getOutputStream().apply { write("GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n$connection\r\n".toByteArray()); flush() }
    }

    fun read(): RawResponse {
        val status = line().split(' ')[1].toInt()
        val headers = generateSequence { line().takeIf { it.isNotEmpty() } }
            .associate { it.substringBefore(':').trim().lowercase() to it.substringAfter(':').trim() }
        val length = headers.getValue("content-length").toInt()
        return RawResponse(status, headers, String(input.readNBytes(length)))
    }

    fun get(path: String = "/", close: Boolean = false): RawResponse {
        send(path, close)
        return read()
    }

    /** True if the server closed the connection (waits for it, up to the socket timeout). */
    fun closedByServer(): Boolean = runCatching { input.read() == -1 }.getOrElse { it is java.net.SocketException }

    private fun line(): String {
        val bytes = ByteArrayOutputStream()
        while (true) {
            val b = input.read()
            check(b >= 0) { "connection closed in the middle of a response" }
            if (b == '\n'.code) return bytes.toString(Charsets.ISO_8859_1).trimEnd('\r')
            bytes.write(b)
        }
    }

    override fun close() = socket.close()
}
