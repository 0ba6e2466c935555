package io.jcluster.internal

import io.jcluster.ClusterSettings

/** JVM flags that make workers start faster; see [io.jcluster.ClusterSettings.fastStart]. */
internal interface FastStart {
    /** The flags for a worker started with [settings]; never waits for anything slow. */
    fun flags(settings: ClusterSettings): List<String>

    /** Starts whatever slow preparation [settings] need, in the background, so that the first forks benefit. */
    fun prepare(settings: ClusterSettings) {
        flags(settings)
    }

    /** Called once a worker started with [command] (which holds [flags]' answer) has exited; never waits. */
    fun exited(command: List<String>) {}
}
