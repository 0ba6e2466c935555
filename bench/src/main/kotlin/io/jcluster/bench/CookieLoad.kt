package io.jcluster.bench

import java.nio.file.Files
import java.nio.file.Path

/**
 * The wrk script of the sticky target: every request carries a cookie [NAME] taken at random from
 * [SESSIONS] built once per wrk thread, so that each connection's first request names one of many
 * sessions. `request()` only picks one of the prebuilt requests (wrk's advice for a fast script), and
 * the requests keep wrk's `-H` headers (`Connection: close`).
 */
object CookieLoad {
    const val NAME = "sid"
    private const val SESSIONS = 256

    val script: Path by lazy {
        Files.createTempFile("jcluster-sticky", ".lua").also {
            it.toFile().deleteOnExit()
            Files.writeString(it, LUA)
        }
    }

    private val LUA = """
        local requests = {}
        function init(args)
          for i = 1, $SESSIONS do
            local headers = {}
            for name, value in pairs(wrk.headers) do headers[name] = value end
            headers["Cookie"] = "lang=en; $NAME=" .. math.random(1, 1000000000)
            requests[i] = wrk.format(nil, nil, headers)
          end
        end
        function request()
          return requests[math.random($SESSIONS)]
        end
    """.trimIndent()
}
