package io.jcluster

import io.jcluster.internal.BuildKey
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import java.nio.file.Files
import java.nio.file.attribute.FileTime

/** Which build a worker runs: what a reload compares a standby's key with before promoting it. */
class BuildKeySpec : FunSpec({
    test("the code key is stable while nothing changes, and changes with a class file deep in a classpath directory") {
        val dir = tempdir().toPath()
        val classes = Files.createDirectories(dir.resolve("classes/app/inner"))
        val file = Files.writeString(classes.resolve("Main.class"), "one")
        val settings = ClusterSettings(mainClass = "app.Main", classpath = "${dir.resolve("classes")}")
        val before = BuildKey.ofCode(settings)
        BuildKey.ofCode(settings) shouldBe before
        Files.writeString(file, "two") // same size: only the time tells
        Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 2_000))
        BuildKey.ofCode(settings) shouldNotBe before
    }

    test("the code key covers the jar that javaArgs run with -jar, which the classpath does not name") {
        val dir = tempdir().toPath()
        val jar = Files.writeString(dir.resolve("app.jar"), "build 1")
        val settings = ClusterSettings(mainClass = "", javaArgs = listOf("-Xmx64m", "-jar", "$jar", "--port", "8080"))
        val before = BuildKey.ofCode(settings)
        Files.writeString(jar, "build 2, longer")
        BuildKey.ofCode(settings) shouldNotBe before
    }
})
