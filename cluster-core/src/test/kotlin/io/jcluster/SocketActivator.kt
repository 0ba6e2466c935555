package io.jcluster

import java.nio.file.Path

/**
 * systemd's part in socket activation, played by python3 for the specs (here and, through
 * cluster-core's test-jar, the samples'): [wrapper] is a command prefix that binds a listening
 * socket, puts it at fd 3, sets `LISTEN_FDS=1` and `LISTEN_PID` (its own pid, which the command it
 * then execs in its place keeps), prints `ACTIVATED <port or path>` and runs the rest of the command.
 * Connections made before the command even starts are queued on that socket.
 */
object SocketActivator {
    /** Replaced, in the command's arguments and in the values of its environment, by the port (TCP) or the path (Unix). */
    const val ADDRESS = "{activated}"

    /** Whether python3 is there to play systemd. */
    fun available(): Boolean = runCatching { ProcessBuilder("python3", "--version").start().waitFor() == 0 }.getOrDefault(false)

    /** The prefix: a TCP socket on 127.0.0.1 and a free port, or a Unix socket at [unix]. */
    fun wrapper(unix: Path? = null): List<String> = listOf("python3", "-c", SCRIPT) + listOfNotNull(unix?.let { "--unix=$it" })

    private val SCRIPT = """
        import os, socket, sys
        args = sys.argv[1:]
        if args[0].startswith("--unix="):
            address = args.pop(0)[len("--unix="):]
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(address)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            address = str(s.getsockname()[1])
        s.listen(64)
        fd = s.detach()
        if fd != 3:
            os.dup2(fd, 3)  # inheritable, unlike fd
            os.close(fd)
        os.set_inheritable(3, True)
        print("ACTIVATED " + address, flush=True)
        env = {k: v.replace("$ADDRESS", address) for k, v in os.environ.items()}
        env.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
        args = [a.replace("$ADDRESS", address) for a in args]
        os.execvpe(args[0], args, env)
    """.trimIndent()
}
