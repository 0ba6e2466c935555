package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ClusterPlugin
import io.jcluster.PrimaryEvent

private val log = KotlinLogging.logger("io.jcluster.ManagedCluster")

/**
 * Runs one hook on every plugin, in `use` order: one that throws is logged and reported as
 * [PrimaryEvent.PluginFailed] through [report], and the others still run.
 */
internal class PluginHooks(private val plugins: List<ClusterPlugin>, private val report: (PrimaryEvent) -> Unit) {
    fun run(name: String, hook: (ClusterPlugin) -> Unit) {
        for (plugin in plugins) {
            try {
                hook(plugin)
            } catch (e: Exception) {
                // A plugin's refusal of its setting (a path it may not use, a port in use) is one line to act on; anything else is a bug, with its trace.
                if (e is java.io.IOException || e is IllegalArgumentException) log.error { "plugin ${plugin.name} failed in $name: ${e.message}; the cluster goes on without it" }
                else log.error(e) { "plugin ${plugin.name} failed in $name; the cluster goes on" }
                report(PrimaryEvent.PluginFailed(plugin.name, name, e))
            }
        }
    }
}
