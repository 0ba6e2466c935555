package io.jcluster.internal

import io.jcluster.ExitStatus

/**
 * This exit as [record]'s worker reported it. The JDK gives a death by signal N and an exit with code
 * 128 + N the same exit value; a worker that exits through jcluster (`Cluster.worker.exit(137)`) says
 * its code on the channel first, and then a value that reads as a signal is that code. A worker that
 * said nothing (a raw `System.exit`, `kill -9`) keeps the signal reading.
 */
internal fun ExitStatus.asReportedBy(record: WorkerRecord): ExitStatus {
    val said = record.exitingWith ?: return this
    return if (signal != null && said == SIGNAL_BASE + signal.number) ExitStatus(said, null) else this
}

/** What the JDK adds to a signal's number in the exit value of a process it ended. */
private const val SIGNAL_BASE = 128
