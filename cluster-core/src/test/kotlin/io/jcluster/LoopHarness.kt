package io.jcluster

import io.jcluster.internal.ControlMessage
import io.jcluster.internal.MemoryProbe
import io.jcluster.internal.PrimaryInput
import io.jcluster.internal.PrimaryLoop
import io.jcluster.internal.WorkerCommands
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.launch
import kotlinx.coroutines.test.TestScope
import kotlinx.coroutines.test.advanceTimeBy
import kotlinx.coroutines.test.runCurrent
import kotlinx.coroutines.test.testTimeSource
import java.nio.file.Path
import kotlin.time.Duration

/** A primary's loop over a fake launcher and fake links, in [test]'s virtual time: the fast specs' cluster. */
@OptIn(ExperimentalCoroutinesApi::class)
internal class LoopHarness(
    val test: TestScope,
    supervision: Supervision = Supervision(readyWhen = ReadyWhen.STARTED, heartbeatTimeout = null),
    classpath: String = ClusterSettings(mainClass = "test.Main").classpath,
) {
    val launcher = FakeLauncher()
    var rss = 0L
    val loop = PrimaryLoop(
        ClusterSettings(mainClass = "test.Main", supervision = supervision, classpath = classpath), launcher, test.backgroundScope,
        WorkerCommands({ Path.of("/nowhere/control.sock") }, null), test.testTimeSource, MemoryProbe { rss },
    )
    val events = mutableListOf<ClusterEvent>()
    val links = HashMap<Long, FakeLink>()

    /** The pids of the processes that [exit]ed. */
    val exitedPids = HashSet<Long>()

    init {
        loop.start()
        test.backgroundScope.launch(start = CoroutineStart.UNDISPATCHED) { loop.events.collect { events += it } }
    }

    fun spawn(n: Int) = loop.spawn(n).also { test.runCurrent() }

    /** The n-th process launched (from 0). */
    fun process(n: Int) = launcher.launched[n]

    fun slotOf(process: FakeProcess) = process.spec.environment.getValue("JCLUSTER_WORKER_SLOT").toInt()

    /** Brings [only] these, or every launched process that has not said hello, online (and so ready: readyWhen = STARTED). */
    fun up(vararg only: FakeProcess) {
        (only.toList().ifEmpty { launcher.launched }).filter { it.pid !in links }.forEach { process ->
            val link = FakeLink().also { links[process.pid] = it }
            loop.enqueue(PrimaryInput.Hello(process.spec.workerId, process.token, process.pid, link))
        }
        test.runCurrent()
    }

    fun exit(process: FakeProcess, code: Int = 1, stderr: List<String> = emptyList()) {
        exitedPids += process.pid
        process.exit(ExitStatus(code, null), stderr)
        links[process.pid]?.let { loop.enqueue(PrimaryInput.LinkDown(process.spec.workerId, it)) }
        test.runCurrent()
    }

    fun after(duration: Duration) {
        test.advanceTimeBy(duration)
        test.runCurrent()
    }

    fun delays() = events.filterIsInstance<RespawnScheduled>().map { it.delay }

    fun exits() = events.filterIsInstance<WorkerEvent.Exited>()

    fun disconnectAsked(process: FakeProcess) = ControlMessage.Disconnect in links.getValue(process.pid).control
}
