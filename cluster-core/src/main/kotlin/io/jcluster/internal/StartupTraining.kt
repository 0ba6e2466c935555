package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ipc.Ipc
import io.jcluster.ipc.IpcServer
import io.jcluster.ipc.JsonCodec
import io.jcluster.ipc.Lane
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonPrimitive
import java.nio.file.Files

/**
 * Not for applications: the `main` that fast start runs once, under `-XX:ArchiveClassesAtExit`, so that
 * the class-data archive holds what a worker loads on its way online: junixsocket, the IPC
 * connection, the control protocol, JSON, coroutines and logging. Both ends run here.
 */
public object StartupTraining {
    @JvmStatic
    public fun main(args: Array<String>) {
        val dir = Files.createTempDirectory("jcluster-training")
        try {
            IpcServer.bind(dir.resolve("training.sock")).use { server ->
                runBlocking {
                    val accepted = async(Dispatchers.IO) { server.accept() }
                    Ipc.connect(server.path).use { client ->
                        val control = client.open(Lane.CONTROL, JsonCodec(ControlMessage.serializer()))
                        val user = client.open(Lane.USER, PayloadCodec)
                        accepted.await().use { primarySide ->
                            val primaryControl = primarySide.open(Lane.CONTROL, JsonCodec(ControlMessage.serializer()))
                            val primaryUser = primarySide.open(Lane.USER, PayloadCodec)
                            control.send(ControlMessage.Hello(0, "training"))
                            primaryControl.receive()
                            user.send(JsonPrimitive("training"))
                            primaryUser.receive()
                        }
                    }
                }
            }
            KotlinLogging.logger {}.debug { "startup training done" }
        } finally {
            dir.toFile().deleteRecursively()
        }
    }
}
