package io.jcluster.internal

import io.github.oshai.kotlinlogging.KotlinLogging
import io.jcluster.ExitReason
import io.jcluster.Supervision
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow

private val log = KotlinLogging.logger {}

/**
 * The warm standbys of [Supervision.standby]: worker JVMs launched ahead, unseen by the cluster, that
 * the [Supervisor] promotes into a slot instead of forking. It keeps their number up whenever
 * [mayStart] says the cluster can spare the CPU, backs off when they die before they are needed, and
 * gives them up after `maxBootFailures` such deaths in a row (forks then fill the slots; the cluster
 * does not fail for it). Only the primary's loop calls it.
 */
internal class StandbyPool(private val work: Workforce, private val mayStart: () -> Boolean) {
    /** Launched and not yet promoted; online once their link is up. */
    private val standbys = ArrayList<WorkerRecord>()
    private var deathsInARow = 0

    /** The token of the backoff under way after a standby's death; null when none is. */
    private var backoff: Long? = null
    private var backoffTokens = 0L

    /** Why standbys are off after they kept dying; null while they are on. */
    private var off: String? = null
    private val _pids = MutableStateFlow<List<Long>>(emptyList())

    /** The pids of the online standbys, ready to be promoted. */
    val pids: StateFlow<List<Long>> = _pids.asStateFlow()

    /** Whether an online standby can be taken. */
    fun hasOnline(): Boolean = standbys.any(::isOnline)

    /** How many standbys are starting, not yet online. */
    fun booting(): Int = standbys.count { !isOnline(it) }

    /** Takes an online standby to promote, if there is one. */
    fun take(): WorkerRecord? = standbys.firstOrNull(::isOnline)?.also {
        standbys.remove(it)
        publish()
    }

    /** The standby [record] is online: it may be taken from now on. */
    fun online(record: WorkerRecord) {
        deathsInARow = 0
        publish()
    }

    /**
     * Starts a missing standby, unless one is booting, a backoff is under way or [mayStart] says no:
     * one at a time, so that refilling several (after a reload took them) does not take every core
     * from the workers just promoted, which serve their first requests interpreted.
     */
    fun topUp(plan: Plan) {
        if (standbys.size < work.supervision.standby && booting() == 0 && off == null && backoff == null && mayStart()) {
            val record = work.newRecord(null)
            if (work.supervision.reloadTakesStandbys) record.build = work.codeKey()
            standbys += record
            plan += SupervisorAction.Fork(record)
        }
    }

    /** Handles [record]'s exit if it was one of the standbys (and says whether it was). */
    fun exited(plan: Plan, record: WorkerRecord, reason: ExitReason): Boolean {
        if (!standbys.remove(record)) return false
        publish()
        died(plan, record, reason)
        return true
    }

    /** The backoff after a standby's death is over, unless [token] is that of one [forget] ended. */
    fun backoffOver(token: Long) {
        if (backoff == token) backoff = null
    }

    /** Disconnects every standby (they run old code, or the cluster stops needing them). */
    fun retireAll(plan: Plan) {
        standbys.forEach { plan += SupervisorAction.Retire(it, ExitReason.RELOAD) }
        forget()
    }

    /** Disconnects the standbys that were not started from [build] (every one, if it is null); the others stay, to be promoted. */
    fun retireOtherBuilds(plan: Plan, build: String?) {
        val stale = standbys.filter { build == null || it.build != build }
        if (stale.size == standbys.size) return retireAll(plan)
        stale.forEach { plan += SupervisorAction.Retire(it, ExitReason.RELOAD) }
        standbys.removeAll(stale)
        publish()
    }

    /** Forgets the standbys (the loop disconnects them with every other worker) and stops any backoff. */
    fun forget() {
        standbys.clear()
        backoff = null
        publish()
    }

    private fun died(plan: Plan, record: WorkerRecord, reason: ExitReason) {
        if (!reason.isFailure) return // the step's reconcile starts another
        deathsInARow++
        val supervision = work.supervision
        log.warn { "a warm standby died before it was needed: ${record.describe(reason)}" }
        if (deathsInARow >= supervision.maxBootFailures) {
            off = "$deathsInARow standbys in a row died"
            return log.error { "no more warm standbys: $off; dead or recycled workers are replaced by forks" }
        }
        val token = ++backoffTokens
        backoff = token
        plan += SupervisorAction.After(respawnDelay(supervision, deathsInARow), PrimaryInput.StandbyTopUp(token))
    }

    private fun isOnline(record: WorkerRecord) = record.link != null && record.isServing

    private fun publish() {
        _pids.value = standbys.filter { it.link != null }.mapNotNull { it.process?.pid }
    }
}
