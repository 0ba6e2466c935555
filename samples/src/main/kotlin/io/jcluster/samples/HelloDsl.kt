package io.jcluster.samples

import io.jcluster.ops.Plugins
import io.jcluster.cluster
import io.jcluster.http.JdkHttp

/** The README's first example: Hello World on port 3000, one worker per CPU, run with `bin/hello-dsl`. */
suspend fun main() = cluster(JdkHttp.app { exchange ->
    exchange.sendResponseHeaders(200, 12)
    exchange.responseBody.use { it.write("Hello World\n".toByteArray()) }
}) {
    workers = cpus
    env("development") { use(Plugins.debug()) }
    listen(3000, "127.0.0.1")
}
