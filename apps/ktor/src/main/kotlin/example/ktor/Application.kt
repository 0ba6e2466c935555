package example.ktor

import io.ktor.server.application.Application
import io.ktor.server.application.ServerReady
import io.ktor.server.response.respondText
import io.ktor.server.routing.get
import io.ktor.server.routing.routing
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking

private val pid = ProcessHandle.current().pid()

/** The Ktor module that application.conf names: `GET /` and `GET /slow?ms=N`. */
fun Application.module() {
    routing {
        get("/") { call.respondText("hello from ktor pid=$pid\n") }
        get("/slow") {
            val ms = call.request.queryParameters["ms"]?.toLong() ?: 1000
            delay(ms)
            call.respondText("slow $ms ms pid=$pid\n")
        }
    }
    monitor.subscribe(ServerReady) {
        val port = runBlocking { engine.resolvedConnectors().first().port }
        println("ktor serving on port $port pid=$pid")
    }
}
