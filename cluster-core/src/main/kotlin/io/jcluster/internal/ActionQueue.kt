package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import kotlinx.coroutines.CancellationException

private val log = KotlinLogging.logger {}

/**
 * Carries out [Supervisor] steps' actions in order with [perform]. The actions of a step taken while
 * one is being carried out (the death of a worker whose launch failed) queue behind the rest rather
 * than run inside it; one that fails is logged and the others still run.
 */
internal class ActionQueue(private val perform: suspend (SupervisorAction) -> Unit) {
    private val planned = ArrayDeque<SupervisorAction>()
    private var executing = false

    suspend fun execute(actions: List<SupervisorAction>) {
        planned.addAll(actions)
        if (executing) return
        executing = true
        try {
            while (true) {
                val action = planned.removeFirstOrNull() ?: break
                try {
                    perform(action)
                } catch (e: CancellationException) {
                    throw e
                } catch (e: Exception) {
                    log.error(e) { "the primary could not carry out $action; going on" }
                }
            }
        } finally {
            executing = false
        }
    }
}
