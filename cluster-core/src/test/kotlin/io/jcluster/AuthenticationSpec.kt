package io.jcluster

import io.jcluster.internal.ControlMessage
import io.jcluster.internal.PayloadCodec
import io.jcluster.internal.WireAddress
import io.jcluster.internal.WorkerEnvironment
import io.jcluster.internal.OnlineAnnouncement
import io.jcluster.ipc.Ipc
import io.jcluster.ipc.IpcServer
import io.jcluster.ipc.JsonCodec
import io.jcluster.ipc.Lane
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import kotlinx.coroutines.delay
import kotlinx.coroutines.withTimeout
import java.io.RandomAccessFile
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.Path
import java.nio.file.attribute.PosixFilePermissions
import kotlin.time.Duration.Companion.seconds

/**
 * Only the workers a primary forked can join it. Layer by layer: the control socket is reachable by
 * its owner only (directory 0700, socket 0600); a peer of another uid is refused by the kernel's
 * word (`SO_PEERCRED`) even where the file system would let it in; and a same-uid process needs its
 * worker's one-time token and must be that worker's process. Each refusal is logged.
 */
class AuthenticationSpec : FunSpec({
    timeout = 90_000

    test("the control socket is in a directory only its owner can enter, and only its owner may open it") {
        val launcher = RecordingLauncher()
        primaryWith(testSettings("idle"), launcher).use { primary ->
            primary.recording { log ->
                val worker = primary.fork()
                log.await<WorkerEvent.Online>(worker)
                val socket = controlSocketOf(launcher)
                permissions(socket.parent) shouldBe "rwx------"
                permissions(socket) shouldBe "rw-------"
                Files.getAttribute(socket.parent, "unix:uid", LinkOption.NOFOLLOW_LINKS) shouldBe IpcServer.currentUid.toInt()
            }
        }
    }

    test("a local process without a hello, with a guessed token, or with a stolen token from another pid is refused and logged") {
        // The real worker waits at the gate before it execs its JVM: the impostors get in first.
        withGatedWorkers { gate, launcher ->
            capturingStderr { logged ->
                primaryWith(testSettings("idle"), launcher).use { primary ->
                    primary.recording { log ->
                        val worker = primary.fork()
                        log.await<WorkerEvent.Forked>(worker)
                        val socket = controlSocketOf(launcher)
                        val token = launcher.specs.single().environment.getValue(WorkerEnvironment.TOKEN)

                        impostor(socket, ControlMessage.Listening(WireAddress(port = 1))) shouldBe "closed"
                        logged() shouldContain "pid ${ProcessHandle.current().pid()} connected to the control socket without saying hello; closed"

                        impostor(socket, ControlMessage.Hello(worker.id, "0".repeat(token.length))) shouldBe "closed"
                        logged() shouldContain "claiming id ${worker.id} from pid ${ProcessHandle.current().pid()}: unknown worker or bad token"

                        impostor(socket, ControlMessage.Hello(worker.id, token)) shouldBe "closed"
                        logged() shouldContain "pid ${ProcessHandle.current().pid()} is not worker ${worker.id}'s pid ${worker.pid}"

                        announceAsImpostor(socket, worker.id, token, logged) // read, and so in the loop, by then
                        primary.loop.probe()
                        worker.state.value shouldBe WorkerState.Forked

                        Files.writeString(gate, "go\n") // the real worker: its token is still good, and it is let in
                        log.await<WorkerEvent.Online>(worker)
                        log.all.filter { it.event is WorkerEvent.Online } shouldHaveSize 1
                    }
                }
            }
        }
    }

    test("a connection that never says hello is closed after the hello timeout, and does not hold up the workers meanwhile") {
        withGatedWorkers { gate, launcher ->
            capturingStderr { logged ->
                primaryWith(testSettings("idle"), launcher, helloTimeout = 6.seconds).use { primary ->
                    primary.recording { log ->
                        val worker = primary.fork()
                        log.await<WorkerEvent.Forked>(worker)
                        Ipc.connect(controlSocketOf(launcher)).use { silent ->
                            Files.writeString(gate, "go\n") // the real worker connects while the silent one waits
                            log.await<WorkerEvent.Online>(worker)
                            silent.isOpen shouldBe true
                            withTimeout(15.seconds) { silent.awaitClosed() }
                        }
                        logged() shouldContain "pid ${ProcessHandle.current().pid()} connected to the control socket without saying hello; closed"
                        worker.isConnected() shouldBe true
                    }
                }
            }
        }
    }

    context("a forked worker with the right token and pid, run as another uid (nobody)").config(enabled = canDropPrivileges()) {
        test("cannot even reach the socket: the directory keeps it out") {
            val exited = forkAsNobody(loosenPermissions = false) { _, _ -> }
            exited.code!! shouldBeGreaterThan 0
            exited.stderr.joinToString("\n") shouldContain "cannot connect to the IPC socket"
        }

        test("is refused by its uid where the file system would let it in, and the refusal is logged") {
            forkAsNobody(loosenPermissions = true) { worker, logged ->
                logged() shouldContain "from pid ${worker.pid}, uid $NOBODY: only uids [${IpcServer.currentUid}] may connect"
            }
        }
    }
})

/**
 * Forks one idle worker as `nobody` (the classpath copied where it can read it) and waits for it to
 * exit, with [loosenPermissions]: the control socket's directory opened to all (0711) and the socket
 * made 0666 just before the worker starts. Checks that it never came online, runs [check] with the
 * worker and the primary's log, and returns its exit.
 */
private suspend fun forkAsNobody(loosenPermissions: Boolean, check: (Worker, () -> String) -> Unit): WorkerEvent.Exited {
    val scratch = Files.createTempDirectory("jcluster-nobody")
    try {
        val classpath = copyClasspathFor(scratch)
        val launcher = RecordingLauncher { spec ->
            if (loosenPermissions) {
                val socket = Path.of(spec.environment.getValue(WorkerEnvironment.CONTROL_SOCKET))
                Files.setPosixFilePermissions(socket.parent, PosixFilePermissions.fromString("rwx--x--x"))
                Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"))
            }
            spec.copy(command = asNobody + spec.command)
        }
        return capturingStderr { logged ->
            primaryWith(testSettings("idle").copy(classpath = classpath), launcher).use { primary ->
                primary.recording { log ->
                    val worker = primary.fork()
                    val seen = withTimeout(60.seconds) { log.awaitGone(worker) }
                    withClue("events of the worker run as nobody: $seen") { seen.filter { it.event is WorkerEvent.Online }.shouldBeEmpty() }
                    check(worker, logged)
                    seen.exited()
                }
            }
        }
    } finally {
        scratch.toFile().deleteRecursively()
    }
}

/**
 * Connects to [socket] as this process (same uid, but not a forked worker), sends [first] on the
 * control lane and returns "closed" once the primary hangs up (within 15 s: it waits 10 s for a hello).
 */
private suspend fun impostor(socket: Path, first: ControlMessage): String =
    Ipc.connect(socket).use { connection ->
        connection.open(Lane.CONTROL, JsonCodec(ControlMessage.serializer())).send(first)
        connection.open(Lane.USER, PayloadCodec)
        withTimeout(15.seconds) { connection.awaitClosed() }
        "closed"
    }

/**
 * Announces worker [id] with [token] from this process, as a worker's JVM does first, and returns
 * once the primary has read the announcement: it logs the line written after it, which is none.
 */
private suspend fun announceAsImpostor(socket: Path, id: Int, token: String, logged: () -> String) {
    val lines = OnlineAnnouncement.line(id, ProcessHandle.current().pid(), token) + "not an announcement\n".toByteArray()
    RandomAccessFile(OnlineAnnouncement.fifoOf(socket.toString()), "rw").use { it.write(lines) }
    withTimeout(15.seconds) { while ("that is not a worker's announcement" !in logged()) delay(10) }
}

/**
 * Runs [block] with a launcher whose workers wait at a gate (a FIFO) before they exec their JVM: they
 * connect only once [block] writes a line to the gate. The FIFO's directory is removed afterwards.
 */
private suspend fun withGatedWorkers(block: suspend (gate: Path, launcher: RecordingLauncher) -> Unit) {
    val scratch = Files.createTempDirectory("jcluster-auth")
    try {
        val gate = scratch.resolve("gate")
        ProcessBuilder("mkfifo", gate.toString()).start().waitFor() shouldBe 0
        block(gate, RecordingLauncher { spec -> spec.copy(command = listOf("sh", "-c", "read go < \"$gate\" && exec \"$@\"", "sh") + spec.command) })
    } finally {
        scratch.toFile().deleteRecursively()
    }
}

/** The primary's control socket, as it told the first worker [launcher] started. */
private fun controlSocketOf(launcher: RecordingLauncher): Path =
    Path.of(launcher.specs.first().environment.getValue(WorkerEnvironment.CONTROL_SOCKET))

private fun permissions(path: Path): String = PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS))
