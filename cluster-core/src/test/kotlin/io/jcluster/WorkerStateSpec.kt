package io.jcluster

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe

/** Mirrors the transition table in [WorkerState]'s KDoc, row by row. */
class WorkerStateSpec : FunSpec({
    val exit = ExitStatus(0, null)
    val dead = WorkerState.Dead(exit)
    val inputs = listOf(WorkerInput.Online, WorkerInput.Listening, WorkerInput.DisconnectRequested, WorkerInput.ChannelClosed, WorkerInput.ProcessExited(exit))

    // Columns: Online, Listening, DisconnectRequested, ChannelClosed, ProcessExited; null is "—".
    val table: Map<WorkerState, List<WorkerState?>> = mapOf(
        WorkerState.Forked to listOf(WorkerState.Online, null, WorkerState.Disconnecting, WorkerState.Disconnected, dead),
        WorkerState.Online to listOf(null, WorkerState.Listening, WorkerState.Disconnecting, WorkerState.Disconnected, dead),
        WorkerState.Listening to listOf(null, WorkerState.Listening, WorkerState.Disconnecting, WorkerState.Disconnected, dead),
        WorkerState.Disconnecting to listOf(null, null, WorkerState.Disconnecting, WorkerState.Disconnected, dead),
        WorkerState.Disconnected to listOf(null, null, WorkerState.Disconnected, null, dead),
        dead to listOf(null, null, null, null, null),
    )

    table.forEach { (from, row) ->
        test("from $from") {
            inputs.zip(row).forEach { (input, expected) -> from.next(input) shouldBe expected }
        }
    }

    test("the table covers every state") {
        table.keys.map { it::class } shouldBe listOf(
            WorkerState.Forked::class, WorkerState.Online::class, WorkerState.Listening::class,
            WorkerState.Disconnecting::class, WorkerState.Disconnected::class, WorkerState.Dead::class,
        )
    }

    test("a death by signal is reported as the signal, a plain code as the code") {
        ExitStatus.fromExitValue(137) shouldBe ExitStatus(null, Signal.KILL)
        ExitStatus.fromExitValue(143) shouldBe ExitStatus(null, Signal.TERM)
        ExitStatus.fromExitValue(7) shouldBe ExitStatus(7, null)
        ExitStatus.fromExitValue(0) shouldBe ExitStatus(0, null)
    }
})
