package io.jcluster

/**
 * How a worker process ended: by [code] (its exit status) or by [signal]. The JDK reports a death by
 * signal N as exit value 128 + N, so a value above 128 reads as a signal, unless the worker said its
 * code before it went: a worker that exits through `Cluster.worker.exit(137)` (or `destroy()`) is
 * reported with code 137, and one that calls `System.exit(137)` itself reads as killed by KILL.
 */
public data class ExitStatus(val code: Int?, val signal: Signal?) {
    override fun toString(): String = if (signal != null) "killed by SIG$signal" else "exit code $code"

    public companion object {
        /** Decodes a JDK exit value. */
        @JvmStatic
        public fun fromExitValue(value: Int): ExitStatus =
            Signal.byNumber(value - 128)?.takeIf { value > 128 }?.let { ExitStatus(null, it) } ?: ExitStatus(value, null)
    }
}

/** The POSIX signals a primary sends to or sees in its workers (Linux numbers). */
public enum class Signal(public val number: Int) {
    HUP(1), INT(2), QUIT(3), ABRT(6), KILL(9), USR1(10), SEGV(11), USR2(12), PIPE(13), ALRM(14), TERM(15),
    CHLD(17), CONT(18), STOP(19), TSTP(20), TTIN(21), TTOU(22), WINCH(28);

    public companion object {
        /** The signal with this number, if it is one of ours. */
        @JvmStatic
        public fun byNumber(number: Int): Signal? = entries.firstOrNull { it.number == number }
    }
}
