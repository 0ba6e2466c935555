package io.jcluster.ops

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.AutomaticPlugin
import io.jcluster.ClusterPlugin
import org.newsclub.net.unix.AFUNIXDatagramChannel
import org.newsclub.net.unix.AFUNIXSocketAddress
import java.nio.ByteBuffer
import java.nio.file.Path

private val log = KotlinLogging.logger {}

/**
 * `sd_notify(3)`: one datagram of `KEY=value` lines to the Unix datagram socket named by
 * `NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace). The JDK has no Unix datagram
 * channel; junixsocket's is used. A failed send is logged: systemd's view is not worth a crash.
 */
internal class SdNotify(private val address: AFUNIXSocketAddress) : AutoCloseable {
    private val channel = AFUNIXDatagramChannel.open()

    @Synchronized
    fun send(vararg lines: String) {
        val bytes = lines.joinToString("\n").toByteArray()
        try {
            channel.send(ByteBuffer.wrap(bytes), address) // the channel: DatagramSocket.send refuses junixsocket's addresses ("unresolved")
        } catch (e: Exception) {
            log.warn { "cannot notify systemd at $address: ${e.message}" }
        }
    }

    override fun close() = channel.close()

    companion object {
        /** The variable systemd sets for a `Type=notify` service. */
        const val VARIABLE = "NOTIFY_SOCKET"

        /** The notifier for `NOTIFY_SOCKET`, or null if it is unset or not a Unix socket. */
        fun fromEnvironment(): SdNotify? {
            val value = System.getenv(VARIABLE)?.takeIf { it.isNotEmpty() } ?: return null
            val address = when {
                value.startsWith("@") -> AFUNIXSocketAddress.inAbstractNamespace(value.substring(1))
                value.startsWith("/") -> AFUNIXSocketAddress.of(Path.of(value))
                else -> return null.also { log.warn { "$VARIABLE=$value is not a Unix socket (a path, or @name); systemd is not notified" } }
            }
            return SdNotify(address)
        }
    }
}

/** What makes `cluster { }` notify systemd by itself: under `NOTIFY_SOCKET`, a [SystemdPlugin] unless one is used already. */
internal class SystemdWhenNotified : AutomaticPlugin {
    override fun pluginFor(used: List<ClusterPlugin>): ClusterPlugin? =
        if (System.getenv(SdNotify.VARIABLE) != null && used.none { it is SystemdPlugin }) Plugins.systemd() else null
}
