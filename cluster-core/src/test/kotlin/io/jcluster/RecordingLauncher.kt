package io.jcluster

import io.jcluster.internal.JvmProcessLauncher
import io.jcluster.internal.LaunchSpec
import io.jcluster.internal.LaunchedProcess
import io.jcluster.internal.ProcessLauncher
import java.io.ByteArrayOutputStream
import java.io.OutputStream
import java.io.PrintStream
import java.util.concurrent.CopyOnWriteArrayList

/**
 * The real launcher, with each worker's command rewritten by [rewrite] first (to run it as another
 * user, say: the prefix must `exec`, so that the pid stays the one the primary knows), and each
 * launch's spec, token included, kept in [specs] for the spec to read.
 */
internal class RecordingLauncher(private val rewrite: (LaunchSpec) -> LaunchSpec = { it }) : ProcessLauncher {
    val specs: MutableList<LaunchSpec> = CopyOnWriteArrayList()

    override fun launch(spec: LaunchSpec): LaunchedProcess {
        specs += spec
        return JvmProcessLauncher.launch(rewrite(spec))
    }
}

/** A primary that starts its workers through [launcher], without fast start. */
internal fun primaryWith(
    settings: ClusterSettings,
    launcher: ProcessLauncher,
    helloTimeout: kotlin.time.Duration = io.jcluster.internal.ControlServer.HELLO_TIMEOUT,
): Primary = Primary(
    settings, launcher, kotlinx.coroutines.CoroutineScope(kotlinx.coroutines.SupervisorJob() + kotlinx.coroutines.Dispatchers.Default), null, helloTimeout,
)

/**
 * Runs [block] while everything written to `System.err` (where slf4j-simple logs) is also kept;
 * [block] gets a function that returns what was written so far.
 */
suspend fun <T> capturingStderr(block: suspend (logged: () -> String) -> T): T {
    val original = System.err
    val kept = ByteArrayOutputStream()
    val tee = object : OutputStream() {
        override fun write(b: Int) = synchronized(kept) { original.write(b); kept.write(b) }
        override fun write(b: ByteArray, off: Int, len: Int) = synchronized(kept) { original.write(b, off, len); kept.write(b, off, len) }
    }
    System.setErr(PrintStream(tee, true))
    try {
        return block { synchronized(kept) { kept.toString(Charsets.UTF_8) } }
    } finally {
        System.setErr(original)
    }
}
