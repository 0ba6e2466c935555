package io.jcluster.internal

import io.jcluster.ClusterSettings

/** JVM flags that make workers start faster; see [io.jcluster.ClusterSettings.fastStart]. */
internal fun interface FastStart {
    fun flags(settings: ClusterSettings): List<String>
}
