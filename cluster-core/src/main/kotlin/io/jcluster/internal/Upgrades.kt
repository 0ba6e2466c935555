package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterPlugin
import io.jcluster.ManagedCluster
import io.jcluster.PrimaryEvent
import io.jcluster.PrimaryState
import io.jcluster.UpgradeFailedException
import io.jcluster.UpgradeResult
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import java.util.concurrent.atomic.AtomicBoolean
import kotlin.time.Duration

private val log = KotlinLogging.logger {}

/**
 * A [ManagedCluster]'s upgrades, both ways: as the old primary ([upgrade]: start a new one, hand it
 * over, then close) and as the new one ([inherit] the listeners before the first fork, then [whenReady]
 * tell the old one and take over). The cluster's hooks and events go through [hooks] and [emit].
 */
internal class Upgrades(
    private val cluster: ManagedCluster,
    private val scope: CoroutineScope,
    private val hooks: (String, (ClusterPlugin) -> Unit) -> Unit,
    private val emit: (PrimaryEvent) -> Unit,
) {
    private val running = AtomicBoolean()
    @Volatile private var succession: Succession? = null

    /** The old primary's pid, in a primary an upgrade started. */
    @Volatile var predecessor: Long? = null
        private set

    /** The new primary's pid, once this one handed over to it. */
    @Volatile var successor: Long? = null
        private set

    /** If an upgrade started this process: takes the old primary's listeners (before any worker asks for one). */
    fun inherit() {
        runBlocking {
            val succession = Succession.connect() ?: return@runBlocking
            predecessor = succession.predecessor
            val loop = cluster.primary.loop
            try {
                loop.nextId.set(succession.receive(loop.ports.inherited) - 1)
                this@Upgrades.succession = succession
            } catch (e: Exception) {
                log.warn { "upgrade: the old primary (pid ${succession.predecessor}) broke off the handover (${e.message}); binding afresh" }
                loop.ports.inherited.closeAll()
            }
        }
    }

    /** Every slot has a ready worker for the first time: if taking over, tell the old primary, then take over. */
    fun whenReady() {
        val succession = succession?.also { succession = null } ?: return
        scope.launch {
            if (!succession.ready()) {
                log.warn { "upgrade: the old primary (pid ${succession.predecessor}) gave up on this upgrade; stopping" }
                return@launch cluster.destroy()
            }
            cluster.primary.loop.ports.run {
                ownInherited()
                inherited.closeAll() // what no worker of this primary asked for: the old one closes its copies too
            }
            log.info { "upgrade: took over from the primary with pid ${succession.predecessor}" }
            emit(PrimaryEvent.TookOver(succession.predecessor))
            hooks("onUpgraded") { it.onUpgraded(cluster, succession.predecessor) }
        }
    }

    /** See [ManagedCluster.upgrade]. */
    suspend fun upgrade(command: List<String>?, timeout: Duration): UpgradeResult {
        check(cluster.state.value == PrimaryState.ACTIVE) { "cannot upgrade: the cluster is ${cluster.state.value.name.lowercase()}" }
        check(succession == null) { "cannot upgrade: this primary is still taking over from pid $predecessor" }
        if (!running.compareAndSet(false, true)) throw UpgradeFailedException("an upgrade is under way already")
        try {
            val upgrade = PrimaryUpgrade(cluster.primary.loop, timeout, cluster.primary.settings.killTimeout)
            val (result, connection) = upgrade.run(command ?: CurrentCommand.get()) { pid -> handOver(pid) }
            log.info { "upgrade: the new primary (pid ${result.to}) is ready after ${result.took.inWholeMilliseconds} ms; closing this one" }
            scope.launch {
                cluster.close()
                connection.close()
            }
            return result
        } catch (e: UpgradeFailedException) {
            log.warn { "upgrade failed: ${e.message}" }
            emit(PrimaryEvent.UpgradeFailed(e.message ?: "unknown"))
            throw e
        } finally {
            running.set(false)
        }
    }

    /** The new primary [pid] is ready; runs before it hears so (systemd hears of its new main pid from this one first). */
    private fun handOver(pid: Long) {
        successor = pid
        emit(PrimaryEvent.HandedOver(pid))
        hooks("onHandedOver") { it.onHandedOver(cluster, pid) }
    }
}
