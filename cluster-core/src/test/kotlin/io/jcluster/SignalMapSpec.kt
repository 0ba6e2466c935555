package io.jcluster

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain

class SignalMapSpec : FunSpec({
    test("QUIT and the signals no program can handle are refused, with the reason") {
        val signals = SignalMap()
        shouldThrow<IllegalArgumentException> { signals[Signal.QUIT] = SignalAction.CLOSE }.message shouldContain "thread dumps"
        shouldThrow<IllegalArgumentException> { signals.on(Signal.KILL, SignalAction.CLOSE) }
        signals.remove(Signal.HUP)
        signals[Signal.HUP] shouldBe null
        signals[Signal.WINCH] = SignalAction.SPAWN_ONE
        signals.toMap().keys shouldContain Signal.WINCH
        SignalMap().toMap() shouldBe SignalMap.DEFAULTS
    }
})
