package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.Cluster
import io.jcluster.CurrentWorker
import io.jcluster.ipc.IpcServer
import io.jcluster.ipc.JsonCodec
import io.jcluster.ipc.Lane
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import kotlinx.serialization.json.JsonPrimitive
import java.nio.file.Files
import kotlin.time.Duration.Companion.seconds

/**
 * Not for applications: the `main` that fast start runs once, under `-XX:ArchiveClassesAtExit` (or
 * JDK 25's AOT training), so that the archive holds what a worker loads on its way online. Both ends
 * run here: a primary's side of the control socket, and a worker's own runtime ([WorkerRuntime], as
 * `Cluster.worker` makes it), which announces itself, connects, says hello, sends a message and
 * disconnects. Its disconnect ends the process with 0, as a worker's does.
 */
public object StartupTraining {
    @JvmStatic
    public fun main(args: Array<String>) {
        val dir = Files.createTempDirectory("jcluster-training")
        val socket = dir.resolve("training.sock")
        // Deleted in reverse order at the exit, which the worker's disconnect brings about.
        dir.toFile().deleteOnExit()
        socket.toFile().deleteOnExit()
        check(!Cluster.isWorker) { "the startup training runs in a JVM of its own, not in a worker" } // `Cluster` itself is archived too
        IpcServer.bind(socket).use { server ->
            runBlocking {
                val environment = WorkerEnvironment(0, socket, "training")
                val announced = CompletableDeferred<PrimaryInput>()
                OnlineFifo.open(socket, announced::complete)?.use {
                    OnlineAnnouncement.announce(environment)
                    withTimeoutOrNull(ANNOUNCEMENT_WAIT) { announced.await() }
                }
                val accepted = async(Dispatchers.IO) { server.accept() }
                val worker = CurrentWorker(WorkerRuntime(environment))
                accepted.await().use { primarySide ->
                    val control = primarySide.open(Lane.CONTROL, JsonCodec(ControlMessage.serializer()))
                    val user = primarySide.open(Lane.USER, PayloadCodec)
                    control.receive() // the hello
                    worker.runtime.post(JsonPrimitive("training"))
                    user.receive()
                    KotlinLogging.logger {}.debug { "startup training done" }
                    worker.runtime.disconnect(askedByPrimary = false) // the channel's end exits with 0
                    control.receive() // the worker's Disconnecting
                }
            }
        }
    }

    /** How long the training waits for its own announcement (it goes on without it). */
    private val ANNOUNCEMENT_WAIT = 5.seconds
}
