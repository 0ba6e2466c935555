package io.jcluster.bench

/** Sends SIG[signal] to [pid] with kill(1); fails if kill does. */
fun sendSignal(pid: Long, signal: String) {
    val kill = ProcessBuilder("kill", "-$signal", "$pid").inheritIO().start()
    check(kill.waitFor() == 0) { "kill -$signal $pid failed" }
}
