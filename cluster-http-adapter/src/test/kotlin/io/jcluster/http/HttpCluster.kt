package io.jcluster.http

import io.jcluster.ClusterEvent
import io.jcluster.ClusterSettings
import io.jcluster.Primary
import io.jcluster.Supervision
import io.jcluster.Worker
import io.jcluster.WorkerEvent
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.mapNotNull
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import kotlin.time.Duration.Companion.seconds

/**
 * A primary whose workers run [HttpTestWorker] with [adapter], and every event it emitted, recorded
 * from before the first fork (the event flow does not replay); [supervision] applies to workers it
 * `spawn`s. [close] kills every worker.
 */
class HttpCluster(adapter: AdapterUnderTest, supervision: Supervision = Supervision()) : AutoCloseable {
    val primary = Primary(
        ClusterSettings(
            mainClass = HttpTestWorker::class.java.name,
            args = emptyList(),
            jvmArgs = io.jcluster.QUICK_BOOT,
            environment = mapOf("TEST_ADAPTER" to adapter.name),
            fastStart = false,
            supervision = supervision,
        ),
    )
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Unconfined)
    private val events = MutableStateFlow<List<ClusterEvent>>(emptyList())

    init {
        scope.launch(start = CoroutineStart.UNDISPATCHED) { primary.events.collect { event -> events.update { it + event } } }
    }

    /** Waits (at most 30 s) for the first recorded event for which [pick] is not null. */
    suspend fun <T : Any> await(pick: (ClusterEvent) -> T?): T =
        withTimeout(30.seconds) { events.mapNotNull { list -> list.firstNotNullOfOrNull(pick) }.first() }

    /** Forks [count] workers and waits until each serves under every strategy; returns the ports by strategy. */
    suspend fun start(count: Int): Pair<List<Worker>, Map<String, Int>> {
        val workers = List(count) { primary.fork() }
        val serving = workers.flatMap { worker -> HttpTestWorker.STRATEGIES.map { servingOf(worker, it.configName) } }
        val ports = serving.groupBy({ it.strategy }, { it.port })
        check(ports.values.all { it.toSet().size == 1 }) { "listen(0) gave the workers different ports: $serving" }
        return workers to ports.mapValues { it.value.first() }
    }

    suspend fun exited(worker: Worker): WorkerEvent.Exited = await { (it as? WorkerEvent.Exited)?.takeIf { e -> e.worker === worker } }

    suspend fun listeningCount(worker: Worker, count: Int) =
        await { _ -> events.value.count { it is WorkerEvent.Listening && it.worker === worker }.takeIf { it >= count } }

    private suspend fun servingOf(worker: Worker, strategy: String): Serving = await {
        ((it as? WorkerEvent.Message)?.takeIf { m -> m.worker === worker }?.payload as? Serving)?.takeIf { s -> s.strategy == strategy }
    }

    override fun close() {
        primary.close()
        scope.cancel()
    }
}
