package io.jcluster.http

import io.jcluster.ListenOptions
import io.jcluster.http.internal.AdoptingServer
import io.jcluster.http.internal.JdkServer
import io.jcluster.http.internal.JettyServer
import io.jcluster.http.internal.NettyServer
import java.net.InetAddress
import java.net.InetSocketAddress
import java.nio.channels.ServerSocketChannel

/** One adapter as the contract specs drive it, with its [TestHandlers] handler. */
sealed class AdapterUnderTest(val name: String) {
    /** The adapter's server on [listening] (or on handed connections only), started in this JVM. */
    internal abstract fun start(listening: ServerSocketChannel?): AdoptingServer

    /** The adapter's public convenience: `Cluster.listen(0)` on 127.0.0.1, then serve. */
    abstract suspend fun serve(options: ListenOptions): RunningHttpServer

    override fun toString() = name

    object Jdk : AdapterUnderTest("jdk") {
        override fun start(listening: ServerSocketChannel?): AdoptingServer = JdkServer(addressOf(listening), listening, TestHandlers.jdk, null)
        override suspend fun serve(options: ListenOptions) = JdkHttp.serve(0, LOOPBACK, options) { TestHandlers.jdk.handle(it) }
    }

    object Jetty : AdapterUnderTest("jetty") {
        override fun start(listening: ServerSocketChannel?): AdoptingServer = JettyServer(addressOf(listening), listening, TestHandlers.jetty())
        override suspend fun serve(options: ListenOptions) = io.jcluster.http.Jetty.serve(0, LOOPBACK, options, handler = TestHandlers.jetty())
    }

    object Netty : AdapterUnderTest("netty") {
        override fun start(listening: ServerSocketChannel?): AdoptingServer = NettyServer(addressOf(listening), listening, TestHandlers.netty())
        override suspend fun serve(options: ListenOptions) = io.jcluster.http.Netty.serve(0, LOOPBACK, options, handler = TestHandlers.netty())
    }

    companion object {
        const val LOOPBACK = "127.0.0.1"

        fun named(name: String): AdapterUnderTest = listOf(Jdk, Jetty, Netty).single { it.name == name }

        private fun addressOf(listening: ServerSocketChannel?) = listening?.localAddress ?: InetSocketAddress(InetAddress.getLoopbackAddress(), 0)
    }
}
