package io.jcluster.http

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

    override fun toString() = name

    object Jdk : AdapterUnderTest("jdk") {
        override fun start(listening: ServerSocketChannel?): AdoptingServer = JdkServer(addressOf(listening), listening, TestHandlers.jdk, null)
    }

    object Jetty : AdapterUnderTest("jetty") {
        override fun start(listening: ServerSocketChannel?): AdoptingServer = JettyServer(addressOf(listening), listening, TestHandlers.jetty())
    }

    object Netty : AdapterUnderTest("netty") {
        override fun start(listening: ServerSocketChannel?): AdoptingServer = NettyServer(addressOf(listening), listening, TestHandlers.netty())
    }

    companion object {
        fun named(name: String): AdapterUnderTest = listOf(Jdk, Jetty, Netty).single { it.name == name }

        private fun addressOf(listening: ServerSocketChannel?) = listening?.localAddress ?: InetSocketAddress(InetAddress.getLoopbackAddress(), 0)
    }
}
