package io.jcluster

import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlin.time.Duration.Companion.seconds

/**
 * The primary of [PrivilegedPortSpec], run as an unprivileged user: one `serve` worker asks for port
 * 80 (which the primary may not bind), then for port 0. Prints each [ListenResult] as `RESULT <error or port>`.
 */
object PrivilegedPortPrimary {
    const val RESULT = "RESULT "

    @JvmStatic
    fun main(args: Array<String>) {
        Primary(testSettings("serve")).use { primary ->
            runBlocking {
                withTimeout(30.seconds) {
                    val worker = primary.fork()
                    for (port in listOf(80, 0)) {
                        val result = async(start = CoroutineStart.UNDISPATCHED) {
                            primary.events.filterIsInstance<WorkerEvent.Message>().map { it.payload }.filterIsInstance<ListenResult>().first()
                        }
                        worker.send(ListenCommand(port = port))
                        val answer = result.await()
                        println(RESULT + (answer.error ?: answer.port.toString()))
                    }
                }
            }
        }
    }
}
