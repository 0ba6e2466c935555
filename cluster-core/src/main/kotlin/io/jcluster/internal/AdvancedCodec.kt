package io.jcluster.internal

import com.esotericsoftware.kryo.kryo5.Kryo
import com.esotericsoftware.kryo.kryo5.KryoException
import com.esotericsoftware.kryo.kryo5.Registration
import com.esotericsoftware.kryo.kryo5.Serializer
import com.esotericsoftware.kryo.kryo5.io.Input
import com.esotericsoftware.kryo.kryo5.io.Output
import com.esotericsoftware.kryo.kryo5.objenesis.strategy.StdInstantiatorStrategy
import com.esotericsoftware.kryo.kryo5.util.DefaultClassResolver
import com.esotericsoftware.kryo.kryo5.util.DefaultInstantiatorStrategy
import com.esotericsoftware.kryo.kryo5.util.MapReferenceResolver
import com.esotericsoftware.kryo.kryo5.util.Pool

/**
 * Object graphs as bytes, for `Advanced` messages: Kryo 5 with references on (cycles and shared
 * objects survive), class names on the wire (so the primary and its workers need not register in the
 * same order), and every class checked against [allowed] before Kryo registers it, on both sides.
 * Kryo instances are not thread-safe: each call borrows one from a pool.
 */
internal class AdvancedCodec(private val allowed: AllowList) {
    private val kryos = object : Pool<Kryo>(true, true) {
        override fun create(): Kryo = Kryo(AllowingResolver(allowed), MapReferenceResolver()).apply {
            isRegistrationRequired = false // names on the wire; AllowingResolver is the gate
            references = true
            // A no-argument constructor if there is one, else Objenesis (Kotlin data classes have none).
            instantiatorStrategy = DefaultInstantiatorStrategy(StdInstantiatorStrategy())
            classLoader = AdvancedCodec::class.java.classLoader
            // Kotlin's emptyList() and co. are singletons; registered in the same order on both sides, so their ids agree.
            for (empty in listOf(emptyList<Any>(), emptyMap<Any, Any>(), emptySet<Any>())) register(empty.javaClass, TheOne(empty))
        }
    }

    /** Writes nothing, reads [instance]. */
    private class TheOne(private val instance: Any) : Serializer<Any>() {
        override fun write(kryo: Kryo, output: Output, value: Any) = Unit

        override fun read(kryo: Kryo, input: Input, type: Class<out Any>): Any = instance
    }

    fun encode(value: Any, prefix: ByteArray): ByteArray = borrowing { kryo ->
        Output(INITIAL_BUFFER, -1).use { output ->
            output.writeBytes(prefix)
            kryo.writeClassAndObject(output, value)
            output.toBytes()
        }
    }

    fun decode(bytes: ByteArray, offset: Int): Any = borrowing { kryo ->
        Input(bytes, offset, bytes.size - offset).use { kryo.readClassAndObject(it) }
            ?: throw IllegalArgumentException("an advanced message holds null")
    }

    private fun <T> borrowing(use: (Kryo) -> T): T {
        val kryo = kryos.obtain()
        try {
            return use(kryo)
        } catch (e: KryoException) {
            val refused = generateSequence<Throwable>(e) { it.cause }.firstOrNull { it is NotAllowedException }
            throw IllegalArgumentException(refused?.message ?: "advanced message: ${e.message}", e)
        } catch (e: NotAllowedException) {
            throw IllegalArgumentException(e.message, e)
        } finally {
            kryos.free(kryo)
        }
    }

    private class AllowingResolver(private val allowed: AllowList) : DefaultClassResolver() {
        override fun registerImplicit(type: Class<*>): Registration {
            if (!allowed.allows(type)) throw NotAllowedException(type)
            return super.registerImplicit(type)
        }
    }

    private class NotAllowedException(type: Class<*>) : RuntimeException(
        "${type.name} is not allowed in advanced messages: call AdvancedSerialization.allow(${type.simpleName}.class) " +
            "(or allowPackage) in the primary and the workers",
    )

    private companion object {
        const val INITIAL_BUFFER = 256
    }
}
