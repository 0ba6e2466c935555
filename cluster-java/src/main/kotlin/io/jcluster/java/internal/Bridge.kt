package io.jcluster.java.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.java.Registration
import kotlinx.coroutines.CoroutineName
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.future.future
import kotlinx.coroutines.jdk9.asPublisher
import kotlinx.coroutines.launch
import java.util.concurrent.CompletableFuture
import java.util.function.Consumer
import java.util.concurrent.Flow as JavaFlow

private val log = KotlinLogging.logger {}

/**
 * Where the facade's futures and listeners run: on the default dispatcher, never on the primary's
 * loop, so that a Java callback that blocks (say, on another future) cannot stall the cluster.
 */
internal val facade: CoroutineScope = CoroutineScope(SupervisorJob() + Dispatchers.Default + CoroutineName("jcluster-java"))

/** [block] as a `CompletableFuture`; cancelling the future cancels [block]. */
internal fun <T> async(block: suspend () -> T): CompletableFuture<T> = facade.future { block() }

/** [block] as a `CompletableFuture<Void>`, completed with null. */
internal fun done(block: suspend () -> Unit): CompletableFuture<Void?> = facade.future { block(); null }

/**
 * This flow as a `Flow.Publisher`. Unconfined: the subscription to the flow is made in the thread that
 * first calls `request` (usually inside `subscribe`), so no event emitted after that is missed, and
 * `onNext` runs in the emitting thread: subscribers must be quick and hand heavy work off.
 */
internal fun <T : Any> Flow<T>.publisher(): JavaFlow.Publisher<T> = asPublisher(Dispatchers.Unconfined)

/**
 * Calls [listener] with each element of this flow, in order, on the default dispatcher. The flow is
 * subscribed before this returns (the collector starts undispatched), so nothing emitted after is
 * missed. A listener that throws is logged and keeps listening.
 */
internal fun <T> Flow<T>.listen(listener: Consumer<in T>): Registration {
    val job = facade.launch(start = CoroutineStart.UNDISPATCHED) {
        collect { element -> runCatching { listener.accept(element) }.onFailure { log.warn(it) { "a Java listener threw on $element; it keeps listening" } } }
    }
    return Registration { job.cancel() }
}
