package io.jcluster

import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import java.net.InetSocketAddress
import kotlin.system.exitProcess
import kotlin.time.Duration.Companion.seconds

/**
 * The primary of [LifecycleLogSpec], in a JVM of its own with the default logging: two workers, one
 * killed (and respawned), a reload, a scale down from 2 to 1, a graceful close. On stdout, one
 * `EVENT …` line per lifecycle event it saw, from which the spec builds the log lines it expects on
 * stderr; `DONE` at the end.
 */
object LifecyclePrimary {
    @JvmStatic
    fun main(args: Array<String>): Unit = runBlocking<Unit> {
        // A plugin subscribes before the first fork, so that no Forked event goes unseen.
        val printer = object : ClusterPlugin {
            override val name = "event-printer"
            override fun onStarting(cluster: ManagedCluster) {
                launch(Dispatchers.Unconfined, start = CoroutineStart.UNDISPATCHED) { cluster.primary.events.collect(::print) }
            }
        }
        val cluster = startCluster("test") { dslTestConfig(); use(printer) }
        launch(Dispatchers.Unconfined, start = CoroutineStart.UNDISPATCHED) {
            cluster.events.collect { if (it is PrimaryEvent.WorkersChanged) println("EVENT scaled ${it.from} ${it.to}") }
        }
        withTimeout(90.seconds) {
            cluster.events.first { it == PrimaryEvent.Listening }
            val victim = cluster.primary.activeWorkers().first()
            val replaced = async(start = CoroutineStart.UNDISPATCHED) {
                cluster.primary.events.first { it is WorkerEvent.Ready && it.worker.slot == victim.slot }
            }
            victim.processHandle!!.destroyForcibly()
            replaced.await()
            cluster.primary.reload()
            val retired = async(start = CoroutineStart.UNDISPATCHED) { cluster.primary.events.first { it is WorkerEvent.Exited } }
            cluster.spawn(-1)
            retired.await()
            cluster.close()
        }
        println("DONE")
        System.out.flush()
        exitProcess(0)
    }

    private fun print(event: ClusterEvent) {
        val line = when (event) {
            is WorkerEvent.Forked -> "forked ${event.worker.id} ${event.worker.pid} ${event.worker.slot}"
            is WorkerEvent.Listening -> "listening ${event.worker.id} ${(event.address as InetSocketAddress).let { "${it.hostString}:${it.port}" }}"
            is WorkerEvent.Exited -> "exited ${event.worker.id} ${event.exitedAfterDisconnect} ${event.reason} ${event.exit.code} ${event.exit.signal}"
            is RespawnScheduled -> "respawn ${event.slot} ${event.delay.inWholeMilliseconds} ${event.restarts}"
            is ReloadStarted -> "reload-started ${event.workers}"
            is ReloadFinished -> "reload-finished ${event.replaced} ${event.failure}"
            is ClusterFailed -> "failed ${event.reason}"
            else -> return
        }
        println("EVENT $line")
    }
}
