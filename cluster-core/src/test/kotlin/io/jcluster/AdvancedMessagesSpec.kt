package io.jcluster

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeSameInstanceAs

/** Advanced messages between real processes (Node's `serialization: 'advanced'`): a cyclic graph goes to a worker and back. */
class AdvancedMessagesSpec : FunSpec({
    timeout = 30_000
    beforeSpec { Team.allow() }

    test("a cyclic graph with java.time values, maps and lists goes primary -> worker -> primary, the worker's change included") {
        withCluster(testSettings("advanced")) { primary, log ->
            val worker = primary.fork()
            val sent = Team.sample()
            worker.send(Advanced(sent))
            val back = log.await<WorkerEvent.Message>(worker).payload as Team

            back.members.size shouldBe 2
            back.members[1].describe() shouldBe "worker ${worker.id}@core 1970-01-01T00:00:00Z UTC {}"
            back.members.removeAt(1)
            back.describe() shouldBe sent.describe() // "cycle=true": both members point at the same team again
            back.notes["lead"] shouldBeSameInstanceAs back.members[0]
        }
    }
})
