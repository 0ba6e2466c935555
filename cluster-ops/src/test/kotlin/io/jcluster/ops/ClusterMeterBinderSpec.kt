package io.jcluster.ops

import io.jcluster.PrimaryEvent
import io.jcluster.dslTestConfig
import io.jcluster.startCluster
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.micrometer.core.instrument.MeterRegistry
import io.micrometer.core.instrument.simple.SimpleMeterRegistry
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.withTimeout

/**
 * [ClusterMeterBinder] on a real Micrometer registry against a real cluster (two [io.jcluster.DslTestWorker]
 * JVMs): the meters show the cluster's figures, a worker's death moves the restart counter, and
 * the dead worker's meters leave the registry while its replacement's arrive.
 */
class ClusterMeterBinderSpec : FunSpec({
    timeout = 120_000

    test("a SimpleMeterRegistry shows the workers, their heap and RSS, messages and a restart by reason") {
        val stats = Plugins.stats()
        val registry = SimpleMeterRegistry()
        val binder = ClusterMeterBinder(stats, refreshMillis = 100).also { it.bindTo(registry) } // bound before the start, as Spring does
        val cluster = startCluster("test") { dslTestConfig(); use(stats) }
        try {
            withTimeout(60.seconds) { cluster.events.first { it == PrimaryEvent.Listening } }
            awaitMeters(registry) { it.gaugeValue("jcluster.workers.active") == 2.0 && it.functionCount("jcluster.messages") == 2.0 && it.heaps().size == 2 }
            registry.gaugeValue("jcluster.workers.wanted") shouldBe 2.0
            registry.gaugeValue("jcluster.workers", "state", "listening") shouldBe 2.0
            registry.gaugeValue("jcluster.ready") shouldBe 1.0
            registry.find("jcluster.worker.rss").gauges().forEach { (it.value() > 0.0) shouldBe true }

            val victim = cluster.primary.activeWorkers().first()
            victim.process!!.destroyForcibly()
            awaitMeters(registry) { it.functionCount("jcluster.restarts", "reason", "signal") == 1.0 && it.gaugeValue("jcluster.workers.active") == 2.0 && it.heaps().size == 2 }
            registry.find("jcluster.restarts").functionCounters().sumOf { it.count() } shouldBe 1.0
            registry.find("jcluster.worker.heap").tag("id", "${victim.id}").gauges().size shouldBe 0 // gone with its worker
            registry.functionCount("jcluster.messages") shouldBe 3.0 // the replacement's report
        } finally {
            binder.close()
            cluster.destroy()
        }
    }
})

private fun MeterRegistry.gaugeValue(name: String, vararg tags: String): Double? = find(name).tags(*tags).gauge()?.value()

private fun MeterRegistry.functionCount(name: String, vararg tags: String): Double? = find(name).tags(*tags).functionCounter()?.count()

/** The heap gauges with a figure (a worker's first heartbeat brings it). */
private fun MeterRegistry.heaps() = find("jcluster.worker.heap").gauges().filter { !it.value().isNaN() }

/** Waits (at most 30 s) until the registry passes [done]: the heartbeats move it, not a clock. */
private suspend fun awaitMeters(registry: SimpleMeterRegistry, done: (SimpleMeterRegistry) -> Boolean) =
    withClue({ registry.metersAsString }) {
        withTimeout(30.seconds) { while (!done(registry)) delay(20.milliseconds) }
    }
