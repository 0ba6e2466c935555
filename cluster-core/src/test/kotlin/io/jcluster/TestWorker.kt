package io.jcluster

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.withContext
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.Serializable
import java.lang.management.ManagementFactory
import io.jcluster.internal.OnlineAnnouncement
import io.jcluster.internal.WorkerEnvironment
import java.nio.file.Files
import java.nio.file.Path
import kotlin.system.exitProcess

/** Messages between the specs' primary and [TestWorker]. */
@Serializable
data class Greeting(
    val workerId: Int,
    val pid: Long,
    val cwd: String,
    val env: String?,
    /** The processors the worker JVM counts, and its garbage collectors' names. */
    val processors: Int,
    val collectors: List<String>,
)

@Serializable
data class Ping(val n: Int)

/** Sent once a behaviour is in place (its disconnect hook registered, or about to spin), so a spec can act on it. */
@Serializable
data class Ready(val workerId: Int)

/** What `isConnected()` said in a worker. */
@Serializable
data class Connected(val connected: Boolean)

@Serializable
data class Pong(val n: Int, val workerId: Int)

/**
 * The worker `main` of the cluster specs; `TEST_BEHAVIOUR` picks what it does once online:
 * `idle`, `echo` (answers each [Ping] with a [Pong]), `greet` (sends a [Greeting], then echoes),
 * `exit:N`, `loop` (spins forever), `busy-disconnect` (its disconnect takes a second),
 * `stuck-disconnect` (its disconnect never finishes), `self-disconnect`; and `crash-in-main`, which
 * throws before it ever connects; `announce-then-echo` announces itself, waits until a line comes
 * through the FIFO `TEST_GATE`, and only then loads its runtime and echoes. `loop`, `busy-disconnect` and `stuck-disconnect` send [Ready] once
 * they are in place: before that, a disconnect or a kill would not test what they are for.
 * `flood:N` sends N [Ping]s and disconnects at once (`post-flood:N` the same, posting every other
 * one without suspending: [CurrentWorker.post]); `send-forever` sends [Ping]s from `main` until
 * its channel closes; `drop-handles` closes each handle it gets and
 * answers each [Ping] with a [Pong].
 * `serve` listens as each [ListenCommand] says, answers with a [ListenResult], and answers every
 * connection with its worker id and a newline. `udp` answers datagrams on a shared UDP socket ([UdpEcho]). `supervised` serves like `serve` on the shared
 * `listen(0)` port from the start, and obeys [Crash], [Hang] and [FallIll]; `cannot-boot` exits with
 * [Supervision.CANNOT_BOOT]; `destroy`, `kill-self` and `api-exit:N` send [Connected] and, at the
 * next [Ping], end themselves through `destroy()`, `kill()` or `exit(N)`; `advanced` answers each [Team] (an
 * advanced message) with itself and one member more; `pipe` reads the pipe `in` to its end and answers on it
 * with its length and byte sum, then sends a [Pong] of the length; `throw-to-own-handler` sets a default uncaught-exception handler, then
 * throws from `main` once online.
 */
object TestWorker {
    @JvmStatic
    fun main(args: Array<String>) {
        val behaviour = System.getenv("TEST_BEHAVIOUR") ?: "idle"
        if (behaviour == "crash-in-main") throw IllegalStateException("boom in main, before online")
        if (behaviour == "advanced") Team.allow()
        if (behaviour == "announce-then-echo") {
            // Online before its runtime has loaded: the runtime connects only once the spec opens the gate.
            OnlineAnnouncement.announce(WorkerEnvironment.current!!)
            Files.readString(Path.of(System.getenv("TEST_GATE")))
        }
        val worker = Cluster.worker
        if (behaviour == "throw-to-own-handler") {
            Thread.setDefaultUncaughtExceptionHandler { thread, error -> System.err.println("the app's handler saw '${error.message}' in ${thread.name}") }
            throw IllegalStateException("boom in main, once online")
        }
        runBlocking {
            when {
                behaviour == "idle" -> Unit
                behaviour == "echo" || behaviour == "announce-then-echo" -> echo(worker)
                behaviour == "greet" -> {
                    val collectors = ManagementFactory.getGarbageCollectorMXBeans().map { it.name }
                    val cwd = Path.of("").toAbsolutePath().toString()
                    worker.send(Greeting(worker.id, ProcessHandle.current().pid(), cwd, System.getenv("GREETING"), Runtime.getRuntime().availableProcessors(), collectors))
                    echo(worker)
                }
                behaviour.startsWith("exit:") -> exitProcess(behaviour.removePrefix("exit:").toInt())
                behaviour == "loop" -> {
                    worker.send(Ready(worker.id))
                    spin()
                }
                behaviour == "busy-disconnect" -> {
                    worker.onDisconnect { delay(1_000) }
                    worker.send(Ready(worker.id))
                }
                behaviour == "stuck-disconnect" -> {
                    worker.onDisconnect { delay(Long.MAX_VALUE) }
                    worker.send(Ready(worker.id))
                }
                behaviour == "self-disconnect" -> worker.disconnect()
                behaviour == "send-forever" -> {
                    var count = 0
                    while (true) worker.send(Ping(count++))
                }
                behaviour.startsWith("flood:") -> {
                    repeat(behaviour.removePrefix("flood:").toInt()) { worker.send(Ping(it)) }
                    worker.disconnect()
                }
                behaviour.startsWith("post-flood:") -> {
                    repeat(behaviour.removePrefix("post-flood:").toInt()) { if (it % 2 == 0) worker.post(Ping(it)) else worker.send(Ping(it)) }
                    worker.disconnect()
                }
                behaviour == "drop-handles" -> worker.messages.collect { (payload, handle) ->
                    handle?.close()
                    if (payload is Ping) worker.send(Pong(payload.n, worker.id))
                }
                behaviour == "serve" -> LineServer(worker).run()
                behaviour == "udp" -> UdpEcho.run(worker)
                behaviour == "supervised" -> LineServer(worker).runListening()
                behaviour == "cannot-boot" -> worker.cannotBoot("DATABASE_URL is not set")
                behaviour == "pipe" -> answerPipe(worker)
                behaviour == "advanced" -> answerAdvanced(worker)
                behaviour == "destroy" || behaviour == "kill-self" -> endSelf(worker) { if (behaviour == "destroy") worker.destroy() else worker.kill() }
                behaviour.startsWith("api-exit:") -> endSelf(worker) { worker.exit(behaviour.removePrefix("api-exit:").toInt()) }
                else -> error("unknown TEST_BEHAVIOUR $behaviour")
            }
        }
    }

    /**
     * Sends [Connected] with `isConnected()`, and once the primary answers with a [Ping], ends itself with
     * [end]; a shutdown hook then prints `connected=<isConnected()>` to stderr, which [WorkerEvent.Exited] keeps.
     */
    private suspend fun endSelf(worker: CurrentWorker, end: () -> Nothing) {
        Runtime.getRuntime().addShutdownHook(Thread { System.err.println("connected=${worker.isConnected()}") })
        worker.send(Connected(worker.isConnected()))
        worker.messages.first { it.payload is Ping }
        end()
    }

    /** Reads pipe `in` to its end, and answers on it with `<bytes> <sum of the bytes>`, then a [Pong] on the channel. */
    private suspend fun answerPipe(worker: CurrentWorker) {
        val pipe = worker.pipe("in")
        val bytes = withContext(Dispatchers.IO) { pipe.input.readAllBytes() }
        withContext(Dispatchers.IO) { pipe.output.write("${bytes.size} ${bytes.sumOf { it.toLong() and 0xFF }}\n".toByteArray()) }
        pipe.close()
        worker.send(Pong(bytes.size, worker.id))
        echo(worker)
    }

    /** Takes each [Team] that comes, adds a member that points back at it, and sends it back as an advanced message. */
    private suspend fun answerAdvanced(worker: CurrentWorker) {
        worker.messages.collect { (payload, _) ->
            val team = payload as? Team ?: return@collect
            team.members += Person("worker ${worker.id}", team, java.time.Instant.EPOCH, java.time.ZoneId.of("UTC"), emptyMap())
            worker.send(Advanced(team))
        }
    }

    private suspend fun echo(worker: CurrentWorker) {
        worker.messages.collect { (payload, _) -> if (payload is Ping) worker.send(Pong(payload.n, worker.id)) }
    }

    @Volatile private var sink = 0L

    private fun spin() {
        while (true) sink++
    }
}
