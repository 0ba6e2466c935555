package io.jcluster.run

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import kotlin.time.Duration.Companion.minutes

/**
 * `jcluster run --workers 2` on an app that knows nothing of jcluster, once per JDK listener kind:
 * each worker's own bind gets the cluster's listener, so both serve on one port (port 0: the primary
 * picks it once, and every worker gets the same).
 */
class JdkListenersSpec : FunSpec({
    timeout = 3.minutes.inWholeMilliseconds

    for (kind in listOf("channel", "socket", "async", "http")) {
        test("$kind: both workers serve on one port, which port 0 chose") {
            RunProcess.start(listOf("--workers", "2"), RunProcess.app(kind, "0")).use { run ->
                val ports = run.listeningPorts(workers = 2)
                ports.toSet() shouldHaveSize 1
                ports.first() shouldNotBe 0
                RunProcess.pidsAnswering(ports.first(), count = 2) shouldHaveSize 2
            }
        }
    }

    test("two ports per app: each is shared by both workers") {
        RunProcess.start(listOf("--workers", "2"), RunProcess.app("channel", "0", "0")).use { run ->
            val ports = run.listeningPorts(workers = 2, perWorker = 2).toSet()
            ports shouldHaveSize 2
            for (port in ports) RunProcess.pidsAnswering(port, count = 2) shouldHaveSize 2
        }
    }

    test("reuse-port: each worker binds its own socket on the port the primary holds") {
        RunProcess.start(listOf("--workers", "2", "--strategy", "reuse-port"), RunProcess.app("channel", "0")).use { run ->
            val ports = run.listeningPorts(workers = 2).toSet()
            ports shouldHaveSize 1
            RunProcess.pidsAnswering(ports.first(), count = 2) shouldHaveSize 2
        }
    }

    test("an app's explicit INET channel takes the shared listener too") {
        RunProcess.start(listOf("--workers", "2"), RunProcess.app("inet", "0")).use { run ->
            val port = run.listeningPorts(workers = 2).toSet().single()
            RunProcess.pidsAnswering(port, count = 2) shouldHaveSize 2
            run.signal("TERM")
            run.awaitExit() shouldBe 0
        }
    }
})
