package io.jcluster

/**
 * A plugin that [cluster] adds by itself when its module is on the class path, found by
 * `java.util.ServiceLoader` (listed in `META-INF/services/io.jcluster.AutomaticPlugin`): cluster-ops'
 * systemd plugin under `NOTIFY_SOCKET` is one. The core knows no operations plugin by name.
 */
public interface AutomaticPlugin {
    /** The plugin to add, or null where it does not apply (its environment is missing, or [used] has one of its kind). */
    public fun pluginFor(used: List<ClusterPlugin>): ClusterPlugin?
}
