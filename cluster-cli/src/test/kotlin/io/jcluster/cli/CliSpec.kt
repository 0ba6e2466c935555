package io.jcluster.cli

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldMatch
import io.kotest.matchers.string.shouldNotContain
import io.kotest.matchers.string.shouldStartWith

/** picocli's side of `jcluster`: help per command, one-line errors, the version, bash completion. */
class CliSpec : FunSpec({
    /** Runs `jcluster [args]` in this JVM; returns the exit code, stdout and stderr. */
    fun jcluster(vararg args: String): Triple<Int, String, List<String>> {
        val out = StringBuilder()
        val err = ArrayList<String>()
        val code = Jcluster.run(args.toList(), { out.appendLine(it) }, { err += it })
        return Triple(code, out.toString(), err)
    }

    test("--help lists every subcommand, run included, and the exit codes") {
        val (code, out, err) = jcluster("--help")
        code shouldBe 0
        err.shouldBeEmpty()
        listOf("status", "stats", "reload", "restart", "scale", "kill", "upgrade", "logs", "top", "run", "completion", "--socket", "Exit codes")
            .forEach { out shouldContain it }
    }

    test("each subcommand has its own --help, wherever --socket is") {
        jcluster("logs", "--help").let { (code, out) -> code shouldBe 0; out shouldContain "--lines=N"; out shouldContain "--follow" }
        jcluster("--socket", "/s.sock", "scale", "-h").let { (code, out) -> code shouldBe 0; out shouldStartWith "Usage: jcluster scale" }
    }

    test("a bad option or argument: one line on stderr, no stack trace, exit 2") {
        jcluster("status", "--bogus").let { (code, out, err) ->
            code shouldBe 2
            out shouldBe ""
            err shouldBe listOf("jcluster: Unknown option: '--bogus' (see jcluster status --help)")
        }
        jcluster("kill", "x").let { (code, _, err) ->
            code shouldBe 2
            err.single() shouldContain "'x' is not an int"
            err.single() shouldNotContain "Exception"
        }
        jcluster("run", "--workers", "2").let { (code, _, err) -> code shouldBe 2; err.single() shouldContain "bin/jcluster run --help" }
    }

    test("--version prints the jar's version") {
        val (code, out) = jcluster("--version")
        code shouldBe 0
        out.trim() shouldMatch Regex("jcluster \\d+\\.\\d+\\.\\d+.*")
    }

    test("completion prints a bash script that completes the subcommands") {
        val (code, out) = jcluster("completion")
        code shouldBe 0
        out shouldStartWith "#!/usr/bin/env bash"
        out shouldContain "complete -F"
        listOf("status", "scale", "upgrade", "logs", "top", "run").forEach { out shouldContain it }
    }
})
