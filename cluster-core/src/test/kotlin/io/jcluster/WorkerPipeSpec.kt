package io.jcluster

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.withContext
import kotlin.random.Random

/** Extra pipes to a worker beside the control channel (Node's `stdio` extra descriptors), with real processes. */
class WorkerPipeSpec : FunSpec({
    timeout = 30_000

    test("the primary writes a pipe the worker reads as an InputStream, and reads the worker's answer on it") {
        withCluster(testSettings("pipe")) { primary, log ->
            val worker = primary.fork() // opened before the worker is online: openPipe waits for it
            val pipe = worker.openPipe("in")
            val bytes = Random(20).nextBytes(4 * 1024 * 1024) // far more than a socket buffer: both sides stream
            val answer = coroutineScope {
                val reading = async(Dispatchers.IO) { pipe.input.readAllBytes().decodeToString() }
                withContext(Dispatchers.IO) { pipe.output.write(bytes); pipe.output.close() }
                reading.await()
            }
            pipe.close()
            answer shouldBe "${bytes.size} ${bytes.sumOf { it.toLong() and 0xFF }}\n"
            log.await<WorkerEvent.Message>(worker).payload shouldBe Pong(bytes.size, worker.id)
            worker.send(Ping(1)) // the control channel still works beside it
            log.await<WorkerEvent.Message>(worker) { it.payload == Pong(1, worker.id) }
        }
    }

    test("a pipe to a worker that has exited fails, saying so") {
        withCluster(testSettings("exit:3")) { primary, log ->
            val worker = primary.fork()
            log.awaitGone(worker)
            io.kotest.assertions.throwables.shouldThrow<io.jcluster.ipc.IpcClosedException> { worker.openPipe("in") }
        }
    }
})
