package io.jcluster.samples

/** One sample of a Prometheus text exposition: a metric name, its labels, its value. */
data class Sample(val name: String, val labels: Map<String, String>, val value: Double)

/**
 * A strict parser of the Prometheus text format 0.0.4, for specs: every line is a `# HELP`, a
 * `# TYPE` (counter, gauge, histogram, summary, untyped; at most once per name, before its samples),
 * a comment, blank, or a sample `name{label="value",…} value`; names and labels must be valid,
 * label values correctly escaped, values numbers, and each sample's family declared with a TYPE.
 * Anything else throws, naming the line.
 */
object PrometheusText {
    private val name = Regex("[a-zA-Z_:][a-zA-Z0-9_:]*")
    private val label = Regex("[a-zA-Z_][a-zA-Z0-9_]*")
    private val types = setOf("counter", "gauge", "histogram", "summary", "untyped")

    fun parse(text: String): List<Sample> {
        require(text.endsWith("\n")) { "the exposition must end with a newline" }
        val typed = HashMap<String, String>()
        val seen = HashSet<String>()
        return text.removeSuffix("\n").split("\n").mapIndexedNotNull { i, line ->
            fun fail(why: String): Nothing = throw IllegalArgumentException("line ${i + 1} \"$line\": $why")
            when {
                line.startsWith("# TYPE ") -> {
                    val (metric, type) = line.removePrefix("# TYPE ").split(" ").takeIf { it.size == 2 } ?: fail("TYPE needs a name and a type")
                    if (!name.matches(metric)) fail("bad metric name")
                    if (type !in types) fail("unknown type $type")
                    if (typed.put(metric, type) != null) fail("a second TYPE for $metric")
                    if (metric in seen) fail("TYPE after samples of $metric")
                    null
                }
                line.startsWith("# HELP ") -> line.removePrefix("# HELP ").substringBefore(' ').let { if (!name.matches(it)) fail("bad metric name") }.let { null }
                line.startsWith("#") || line.isBlank() -> null
                else -> sample(line, ::fail).also { s ->
                    if (s.name !in typed) fail("no TYPE for ${s.name}")
                    if (typed[s.name] == "counter" && s.value < 0) fail("a negative counter")
                    seen += s.name
                }
            }
        }
    }

    private fun sample(line: String, fail: (String) -> Nothing): Sample {
        val metric = name.matchAt(line, 0)?.value ?: fail("no metric name")
        var at = metric.length
        val labels = LinkedHashMap<String, String>()
        if (line.getOrNull(at) == '{') {
            at++
            while (line.getOrNull(at) != '}') {
                val key = label.matchAt(line, at)?.value ?: fail("bad label name at ${at + 1}")
                at += key.length
                if (line.getOrNull(at) != '=' || line.getOrNull(at + 1) != '"') fail("expected =\" after $key")
                at += 2
                val value = StringBuilder()
                while (true) {
                    when (val c = line.getOrNull(at++) ?: fail("unterminated label value")) {
                        '"' -> break
                        '\\' -> value.append(when (line.getOrNull(at++)) { 'n' -> '\n'; '\\' -> '\\'; '"' -> '"'; else -> fail("bad escape") })
                        else -> value.append(c)
                    }
                }
                if (labels.put(key, value.toString()) != null) fail("label $key twice")
                if (line.getOrNull(at) == ',') at++ else if (line.getOrNull(at) != '}') fail("expected , or } at ${at + 1}")
            }
            at++
        }
        if (line.getOrNull(at) != ' ') fail("expected a space before the value")
        val parts = line.substring(at + 1).split(" ")
        if (parts.size > 2) fail("too many fields")
        val value = when (parts[0]) {
            "+Inf" -> Double.POSITIVE_INFINITY
            "-Inf" -> Double.NEGATIVE_INFINITY
            "NaN" -> Double.NaN
            else -> parts[0].toDoubleOrNull() ?: fail("not a number: ${parts[0]}")
        }
        if (parts.size == 2 && parts[1].toLongOrNull() == null) fail("bad timestamp")
        return Sample(metric, labels, value)
    }
}

/** The value of the one sample of [name] with [labels] (a subset); throws if none or several. */
fun List<Sample>.value(name: String, vararg labels: Pair<String, String>): Double =
    filter { it.name == name && labels.all { (k, v) -> it.labels[k] == v } }.single().value
