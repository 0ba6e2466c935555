package io.jcluster.http.internal

import com.sun.net.httpserver.HttpExchange
import java.io.InputStream
import java.io.OutputStream

/**
 * The exchange the handler sees: the server's own, except that the response says `Connection: close`
 * when the server stops (the JDK's server then closes the connection after the response), or when
 * the request asked for it (the server closes then anyway, but does not say so, as RFC 9112 wants).
 * The header cannot be set before the handler runs: a stop may begin while it runs.
 */
internal class ClosingExchange(private val exchange: HttpExchange, private val stopping: () -> Boolean) : HttpExchange() {
    override fun sendResponseHeaders(rCode: Int, responseLength: Long) {
        val asked = exchange.requestHeaders["Connection"].orEmpty().any { it.equals("close", ignoreCase = true) }
        if (asked || stopping()) exchange.responseHeaders.set("Connection", "close")
        exchange.sendResponseHeaders(rCode, responseLength)
    }

    override fun getRequestHeaders() = exchange.requestHeaders
    override fun getResponseHeaders() = exchange.responseHeaders
    override fun getRequestURI() = exchange.requestURI
    override fun getRequestMethod(): String = exchange.requestMethod
    override fun getHttpContext() = exchange.httpContext
    override fun close() = exchange.close()
    override fun getRequestBody(): InputStream = exchange.requestBody
    override fun getResponseBody(): OutputStream = exchange.responseBody
    override fun getRemoteAddress() = exchange.remoteAddress
    override fun getResponseCode() = exchange.responseCode
    override fun getLocalAddress() = exchange.localAddress
    override fun getProtocol(): String = exchange.protocol
    override fun getAttribute(name: String): Any? = exchange.getAttribute(name)
    override fun setAttribute(name: String, value: Any?) = exchange.setAttribute(name, value)
    override fun setStreams(i: InputStream?, o: OutputStream?) = exchange.setStreams(i, o)
    override fun getPrincipal() = exchange.principal
}
