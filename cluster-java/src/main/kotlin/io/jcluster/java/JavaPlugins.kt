package io.jcluster.java

import io.jcluster.ops.Plugins
import io.jcluster.ops.ReloadPlugin
import java.nio.file.Path
import kotlin.time.toKotlinDuration
import java.time.Duration as JavaDuration

/**
 * The bundled plugins whose Kotlin factories take a `kotlin.time.Duration`, with a `java.time.Duration`;
 * every other one is `io.jcluster.ops.Plugins`' own (`Plugins.reload(paths)` with its default quiet period too).
 */
public object JavaPlugins {
    /** `Plugins.reload`: restarts the workers when a file under [paths] changes, once none changed for [quietPeriod]. */
    @JvmStatic
    public fun reload(paths: List<Path>, extensions: Set<String>, quietPeriod: JavaDuration): ReloadPlugin =
        Plugins.reload(paths, extensions, quietPeriod.toKotlinDuration())
}
