package io.jcluster.bench

import kotlinx.serialization.Serializable
import kotlinx.serialization.json.Json
import java.nio.file.Files
import java.nio.file.Path

/**
 * One figure of a benchmark, with the peer's figure where a peer was measured in the same run, and
 * where a bench has one, the same figure of its baseline (`http`: the single JVM without the cluster).
 */
@Serializable
data class BenchResult(
    val metric: String,
    val value: Double,
    val unit: String,
    val peer: String? = null,
    val peer_value: Double? = null,
    val baseline: String? = null,
    val baseline_value: Double? = null,
)

/** The file `bench/run NAME` writes: `bench/results/NAME.json`. */
@Serializable
data class BenchReport(val name: String, val results: List<BenchResult>) {
    /** Prints a table with our figure, the peer's, and their ratio. */
    fun print() {
        println()
        println("%-28s %14s  %-8s %-14s %14s %8s".format("metric", "value", "unit", "peer", "peer value", "ratio"))
        results.forEach { r ->
            val ratio = r.peer_value?.takeIf { it != 0.0 }?.let { "%.2fx".format(r.value / it) } ?: ""
            println("%-28s %14.1f  %-8s %-14s %14s %8s".format(
                r.metric, r.value, r.unit, r.peer ?: "", r.peer_value?.let { "%.1f".format(it) } ?: "", ratio))
        }
    }

    fun write(dir: Path) {
        Files.createDirectories(dir)
        Files.writeString(dir.resolve("$name.json"), json.encodeToString(serializer(), this) + "\n")
    }

    private companion object {
        val json = Json { prettyPrint = true; explicitNulls = false }
    }
}

/** Percentile (nearest rank) of sorted values. */
fun percentile(sorted: LongArray, p: Double): Long = sorted[((p / 100.0) * (sorted.size - 1)).toInt()]

/**
 * The figures of one target's [value], named `<key>_<name>`, each with the same figure of the peer's
 * value where a peer ([peerKey], [peerValue]) was measured in the same run.
 */
class Figures<T : Any>(private val key: String, private val value: T, private val peerKey: String?, private val peerValue: T?) {
    fun figure(name: String, unit: String, of: (T) -> Number?): BenchResult? = of(value)?.let {
        BenchResult("${key}_$name", it.toDouble(), unit, peerKey, peerValue?.let(of)?.toDouble())
    }
}
