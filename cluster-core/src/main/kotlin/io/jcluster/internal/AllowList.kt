package io.jcluster.internal

import java.math.BigDecimal
import java.math.BigInteger
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CopyOnWriteArrayList

/**
 * The classes an advanced message may carry: the JDK types the codec has serializers for, and what the
 * application allowed. Checked for every class a message names, on both sides, before any instance exists.
 */
internal class AllowList {
    private val types = ConcurrentHashMap.newKeySet<Class<*>>()
    private val packages = CopyOnWriteArrayList<String>()

    fun allow(vararg allowed: Class<*>) {
        types += allowed
    }

    fun allowPackage(name: String) {
        require(name.isNotBlank() && !name.startsWith("java.") && !name.startsWith("javax.") && !name.startsWith("jdk.") && !name.startsWith("sun.")) {
            "allowPackage(\"$name\"): name your application's package; the JDK's own types are allowed by class, not by package"
        }
        packages += name.removeSuffix(".") + "."
    }

    fun allows(type: Class<*>): Boolean = when {
        type.isArray -> type.componentType.isPrimitive || allows(type.componentType)
        type.isPrimitive || type in JDK_TYPES || type in types -> true
        JDK_FAMILIES.any { type.name.startsWith(it) } -> true
        else -> packages.any { type.name.startsWith(it) }
    }

    companion object {
        /** The list `AdvancedSerialization` changes, which the codec of user messages reads. */
        val default = AllowList()

        private val JDK_TYPES: Set<Class<*>> = setOf(
            String::class.java, java.lang.Boolean::class.java, java.lang.Byte::class.java, java.lang.Short::class.java,
            java.lang.Character::class.java, java.lang.Integer::class.java, java.lang.Long::class.java,
            java.lang.Float::class.java, java.lang.Double::class.java, BigInteger::class.java, BigDecimal::class.java,
            java.util.UUID::class.java, java.util.Date::class.java, java.util.Currency::class.java, java.util.Locale::class.java,
            java.util.ArrayList::class.java, java.util.LinkedList::class.java, java.util.ArrayDeque::class.java,
            java.util.HashMap::class.java, java.util.LinkedHashMap::class.java, java.util.TreeMap::class.java,
            java.util.HashSet::class.java, java.util.LinkedHashSet::class.java, java.util.TreeSet::class.java,
            java.util.concurrent.ConcurrentHashMap::class.java, java.util.concurrent.CopyOnWriteArrayList::class.java,
            Class.forName("java.util.Arrays\$ArrayList"),
        )

        /** Whole families the codec has serializers for: `java.time`, `List.of()`/`Map.of()`, `Collections.singletonList()`… */
        private val JDK_FAMILIES = listOf(
            "java.time.", "java.util.ImmutableCollections\$", "java.util.Collections\$Empty", "java.util.Collections\$Singleton",
        )
    }
}
