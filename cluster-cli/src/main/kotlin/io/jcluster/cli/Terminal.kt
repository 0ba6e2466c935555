package io.jcluster.cli

import java.io.Console
import java.util.concurrent.BlockingQueue
import java.util.concurrent.LinkedBlockingQueue
import kotlin.concurrent.thread

/**
 * The few terminal controls `jcluster top` needs, with `stty` and ANSI escapes rather than a curses
 * library: every terminal emulator in use reads these, and the jar stays small.
 */
internal object Terminal {
    private const val ESC = "\u001b["
    const val HOME: String = "${ESC}H"
    const val CLEAR_LINE: String = "${ESC}K"
    const val CLEAR_BELOW: String = "${ESC}J"
    private const val ENTER = "${ESC}?1049h${ESC}?25l" // the alternate screen, cursor hidden: the shell's screen comes back after
    private const val LEAVE = "${ESC}?25h${ESC}?1049l"

    /** Whether stdin and stdout are a terminal (on JDK 22 and later `System.console()` exists without one: ask it). */
    fun interactive(): Boolean {
        val console = System.console() ?: return false
        return runCatching { Console::class.java.getMethod("isTerminal").invoke(console) as Boolean }.getOrDefault(true)
    }

    /**
     * Runs [block] with the terminal in character mode (no echo, no line editing; Ctrl-C still
     * interrupts) on the alternate screen, handing it the keys typed (-1 at the end of input); puts the
     * terminal back after, on Ctrl-C too.
     */
    fun <T> raw(block: (keys: BlockingQueue<Int>) -> T): T {
        val saved = stty("-g")
        stty("-icanon", "-echo", "min", "1")
        val restore = Thread {
            stty(saved)
            System.out.print(LEAVE)
            System.out.flush()
        }
        Runtime.getRuntime().addShutdownHook(restore)
        System.out.print(ENTER)
        val keys = LinkedBlockingQueue<Int>()
        thread(isDaemon = true, name = "jcluster-keys") {
            while (true) {
                val key = runCatching { System.`in`.read() }.getOrDefault(-1)
                keys.put(key)
                if (key < 0) break
            }
        }
        try {
            return block(keys)
        } finally {
            if (runCatching { Runtime.getRuntime().removeShutdownHook(restore) }.getOrDefault(false)) restore.run()
        }
    }

    /** Runs `stty` on this process's terminal (its stdin); returns what it printed. */
    private fun stty(vararg args: String): String {
        val process = ProcessBuilder(listOf("stty") + args).redirectInput(ProcessBuilder.Redirect.INHERIT).start()
        val printed = process.inputStream.bufferedReader().readText().trim()
        process.waitFor()
        return printed
    }
}
