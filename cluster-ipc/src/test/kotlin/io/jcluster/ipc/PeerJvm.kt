package io.jcluster.ipc

import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** A second JVM running [PeerMain]; [close] kills it if it has not exited. */
class PeerJvm(socket: Path, mode: String) : AutoCloseable {
    val process: Process = ProcessBuilder(command(socket, mode)).inheritIO().start()

    val pid: Long get() = process.pid()

    /** The exit code, waiting at most [seconds]. */
    fun awaitExit(seconds: Long = 20): Int {
        check(process.waitFor(seconds, TimeUnit.SECONDS)) { "peer JVM $pid did not exit within $seconds s" }
        return process.exitValue()
    }

    override fun close() {
        process.destroyForcibly()
        process.waitFor(10, TimeUnit.SECONDS)
    }

    companion object {
        private val javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString()

        fun command(socket: Path, mode: String): List<String> = listOf(
            javaBin,
            *Ipc.jvmFlags.toTypedArray(),
            "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
            "-cp", System.getProperty("java.class.path"),
            PeerMain::class.java.name, socket.toString(), mode,
        )
    }
}
