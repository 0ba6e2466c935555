package io.jcluster.bench

import io.jcluster.AdminRequest
import java.io.IOException
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** wrk's figures over an upgrade of the primary, and how long it took: `upgrade` → the new primary ready (the reply), → the old one gone. */
data class Upgraded(val load: WrkResult, val readyMillis: Long, val goneMillis: Long) {
    override fun toString() = "new primary ready $readyMillis ms after `upgrade`, old one gone after $goneMillis ms; $load"
}

/**
 * `bin/jcluster upgrade` as `bench/run reload` does it, through the control socket at [socket] of the
 * primary [server] started: the old primary starts a new one and exits once that one serves. The new
 * primary is nobody's child once the old one has gone, so [stopSuccessor] stops it (and its workers).
 */
class PrimaryUpgrade(private val server: ServerProcess, private val socket: Path) {
    private var successor: ProcessHandle? = null

    /** Upgrades; returns `upgrade` → reply and `upgrade` → the old primary's exit, in ms. */
    fun upgrade(): Pair<Long, Long> {
        val old = ProcessHandle.of(server.pid).orElseThrow { IOException("the primary (pid ${server.pid}) is gone before the upgrade") }
        val start = System.nanoTime()
        val reply = AdminSocket(socket).request(AdminRequest("upgrade"))
        val ready = (System.nanoTime() - start) / 1_000_000
        if (!reply.ok) throw IOException("upgrade refused: ${reply.message}")
        successor = reply.upgradedTo?.let { ProcessHandle.of(it).orElse(null) }
        println("   | ${reply.message}")
        runCatching { old.onExit().get(GONE_SECONDS, TimeUnit.SECONDS) }
            .onFailure { throw IOException("the old primary (pid ${server.pid}) did not exit within $GONE_SECONDS s of the upgrade") }
        return ready to (System.nanoTime() - start) / 1_000_000
    }

    /** TERM to the new primary (it stops its workers), then KILL to what is left after [STOP_SECONDS]. */
    fun stopSuccessor() {
        val primary = successor ?: return
        val all = listOf(primary) + primary.descendants().toList()
        primary.destroy()
        runCatching { primary.onExit().get(STOP_SECONDS, TimeUnit.SECONDS) }
        all.forEach { it.destroyForcibly() }
    }

    private companion object {
        const val GONE_SECONDS = 60L
        const val STOP_SECONDS = 20L
    }
}
