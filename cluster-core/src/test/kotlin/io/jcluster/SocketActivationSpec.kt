package io.jcluster

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.net.InetSocketAddress
import java.nio.channels.SocketChannel

/**
 * systemd socket activation (`LISTEN_FDS`, `LISTEN_PID`) on a real primary ([OpsTestPrimary]): a
 * python3 wrapper plays systemd, binds a listening socket on 127.0.0.1, puts it at fd 3, and execs the
 * primary in its place (so `LISTEN_PID` is the primary's pid). A connection made before the JVM even
 * starts is queued on that socket, and a worker answers it: the primary adopted the socket instead of
 * binding one (a second bind of the port would fail, the socket listening already).
 */
class SocketActivationSpec : FunSpec({
    timeout = 120_000

    test("the primary serves on the listening socket it inherited at fd 3").config(enabled = python3()) {
        OpsProcess.start(wrapper = listOf("python3", "-c", ACTIVATE)).use { primary ->
            val port = primary.await { it.startsWith("ACTIVATED ") }.single().split(' ')[1].toInt()
            withContext(Dispatchers.IO) {
                SocketChannel.open(InetSocketAddress("127.0.0.1", port)).use { early ->
                    primary.awaitListening()
                    primary.output.first { it.startsWith("LISTENING") }.split(' ')[2].toInt() shouldBe port
                    early.socket().soTimeout = 30_000
                    val id = early.socket().getInputStream().bufferedReader().readLine().toInt()
                    primary.liveWorkers().keys.contains(id) shouldBe true
                }
            }
            primary.awaitStderr("socket activation: fd 3 listens on 127.0.0.1:$port")
            primary.stderr shouldContain "socket activation"
        }
    }
})

/** systemd's part: a listening socket at fd 3, `LISTEN_FDS=1`, `LISTEN_PID` = this pid, then exec. */
private val ACTIVATE = """
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
s.listen(64)
port = s.getsockname()[1]
fd = s.detach()
if fd != 3:
    os.dup2(fd, 3)  # inheritable, unlike fd
    os.close(fd)
os.set_inheritable(3, True)
print("ACTIVATED %d" % port, flush=True)
env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()), OPS_PORT=str(port))
os.execvpe(sys.argv[1], sys.argv[1:], env)
""".trimIndent()

private fun python3(): Boolean = runCatching { ProcessBuilder("python3", "--version").start().waitFor() == 0 }.getOrDefault(false)
