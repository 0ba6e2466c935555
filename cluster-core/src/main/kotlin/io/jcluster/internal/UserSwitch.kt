package io.jcluster.internal

import java.io.File
import java.util.concurrent.TimeUnit

/**
 * Runs workers as another user and group through util-linux `setpriv`, which execs in place (the pid
 * stays the one the primary started). The group defaults to the user's primary group, and the
 * supplementary groups become the user's own (`--init-groups`), or none for a bare uid.
 */
internal object UserSwitch {
    private val setpriv = listOf("/usr/bin/setpriv", "/bin/setpriv").firstOrNull { File(it).canExecute() }

    fun prefix(user: String, group: String?): List<String> {
        val command = setpriv ?: throw IllegalStateException("workers should run as $user, but util-linux setpriv is not installed: install util-linux, or unset user")
        val gid = group ?: primaryGroupOf(user)
        val groups = if (user.all { it.isDigit() }) "--clear-groups" else "--init-groups"
        return listOf(command, "--reuid=$user", "--regid=$gid", groups)
    }

    /** The uid of [user] (a name or a uid): the one the control socket must let in. */
    fun uidOf(user: String): Long = idOf(user, "-u").toLong()

    private fun primaryGroupOf(user: String): String = idOf(user, "-g")

    private fun idOf(user: String, which: String): String {
        val id = ProcessBuilder("id", which, user).redirectErrorStream(true).start()
        val output = id.inputStream.bufferedReader().readText().trim()
        require(id.waitFor(5, TimeUnit.SECONDS) && id.exitValue() == 0 && output.all { it.isDigit() }) {
            "workers should run as user '$user', but there is no such user ($output): set user to an existing name or uid"
        }
        return output
    }
}
