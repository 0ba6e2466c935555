package io.jcluster

import io.jcluster.internal.AllowList

/**
 * A message for the advanced codec (Node's `serialization: 'advanced'`): [value] travels as an object
 * graph, cycles and shared references kept, with ordinary JDK types (collections, maps, `java.time`,
 * `UUID`, `BigDecimal`, arrays) and the classes [AdvancedSerialization] allows. Send it like any
 * message (`worker.send(Advanced(graph))`, `Cluster.worker.send(…)`, from Java `Advanced.of(graph)`);
 * the receiver gets [value] itself, not this wrapper.
 *
 * The codec is Kryo 5 (the `com.esotericsoftware:kryo5` artifact, which the application declares:
 * it is optional in cluster-core). Never Java serialization.
 */
public class Advanced(
    /** The root of the graph to send. */
    public val value: Any,
) {
    override fun toString(): String = "Advanced(${value.javaClass.name})"

    public companion object {
        /** [value] as an advanced message, for Java. */
        @JvmStatic
        public fun of(value: Any): Advanced = Advanced(value)
    }
}

/**
 * Which classes advanced messages may carry, beside the JDK's own that the codec knows (see [Advanced]).
 * Nothing else is ever instantiated from a received message: a class the list does not name is
 * refused by the sender (`IllegalArgumentException`) and by the receiver, which drops the message
 * with a log line, before its serializer runs (it is loaded, never initialised).
 *
 * Allow the same classes in the primary and in the workers: call it in `main` before the cluster
 * starts, which both roles run.
 */
public object AdvancedSerialization {
    /** Allows exactly [types] (not their subclasses): your message classes, records and enums. */
    @JvmStatic
    public fun allow(vararg types: Class<*>) {
        AllowList.default.allow(*types)
    }

    /** Allows every class in the package [name] and its subpackages (`com.example.orders`). */
    @JvmStatic
    public fun allowPackage(name: String) {
        AllowList.default.allowPackage(name)
    }
}
