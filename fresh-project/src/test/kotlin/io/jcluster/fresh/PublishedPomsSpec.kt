package io.jcluster.fresh

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.string.shouldNotContain
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.name
import kotlin.io.path.readText
import kotlin.time.Duration.Companion.minutes

/**
 * What `deploy` publishes of the poms that hold no code: every published module's pom names
 * jcluster-parent as its parent, so a user resolves none of them unless it is published too.
 */
class PublishedPomsSpec : FunSpec({
    test("deploy publishes jcluster-parent and jcluster-bom, with the version resolved").config(timeout = 3.minutes) {
        val target = Files.createTempDirectory("jcluster-deploy")
        try {
            Checkout.maven(
                Checkout.root, Checkout.localRepository(), 2.minutes,
                "-pl", ".,bom", "deploy", "-Dmaven.test.skip=true", "-DaltDeploymentRepository=fresh::${target.toUri()}",
            )
            for (artifact in listOf("jcluster-parent", "jcluster-bom")) {
                val poms = published(target.resolve("io/jcluster/$artifact/${Checkout.version}"))
                poms shouldHaveSize 1
                poms.single().readText() shouldNotContain "\${revision}"
            }
        } finally {
            target.toFile().deleteRecursively()
        }
    }
})

private fun published(dir: Path): List<Path> =
    if (!Files.isDirectory(dir)) emptyList() else Files.list(dir).use { files -> files.filter { it.name.endsWith(".pom") }.toList() }
