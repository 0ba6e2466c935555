package io.jcluster

import kotlin.time.Duration

/** What a successful [Primary.reload] did: it replaced [replaced] workers in [took]. */
public data class ReloadResult(val replaced: Int, val took: Duration)

/**
 * A reload stopped early: a replacement did not become ready (it died, or missed its boot timeout),
 * or the cluster is stopping or has failed. The workers not yet replaced keep serving.
 */
public class ReloadFailedException(message: String) : IllegalStateException(message)
