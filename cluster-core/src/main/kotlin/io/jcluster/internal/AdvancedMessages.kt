package io.jcluster.internal

/**
 * `Advanced` messages on the user lane: a [MARKER] byte (no JSON envelope starts with it), then the
 * graph as [AdvancedCodec] writes it. Kryo is loaded on the first advanced message only: it is an
 * optional dependency, and a cluster that sends none needs no Kryo on its classpath.
 */
internal object AdvancedMessages {
    private const val MARKER: Byte = 1
    private const val KRYO_CLASS = "com.esotericsoftware.kryo.kryo5.Kryo"

    private val codec by lazy {
        check(runCatching { Class.forName(KRYO_CLASS, false, AdvancedMessages::class.java.classLoader) }.isSuccess) {
            "advanced messages need Kryo 5 on the classpath of the primary and its workers: add the dependency com.esotericsoftware:kryo5"
        }
        AdvancedCodec(AllowList.default)
    }

    fun isOne(bytes: ByteArray): Boolean = bytes.isNotEmpty() && bytes[0] == MARKER

    fun encode(value: Any): ByteArray = codec.encode(value, byteArrayOf(MARKER))

    fun decode(bytes: ByteArray): Any = codec.decode(bytes, 1)
}
