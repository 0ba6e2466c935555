package io.jcluster

import java.time.Duration
import java.time.Instant
import java.time.LocalDate
import java.time.ZoneId
import java.time.ZonedDateTime

/** A graph with a cycle (team → members → team) and JDK values, for advanced messages. Not `@Serializable`. */
class Team(val name: String, val founded: LocalDate) {
    val members: MutableList<Person> = ArrayList()
    var notes: Map<String, Any?> = emptyMap()

    /** Everything but the cycle, as text a spec compares; and whether every member points back at this very team. */
    fun describe(): String = "$name $founded ${members.map { it.describe() }} $notes cycle=${members.all { it.team === this }}"

    companion object {
        /** Allows the graph's classes in this process: both the primary and the worker call it. */
        fun allow() = AdvancedSerialization.allow(Team::class.java, Person::class.java)

        fun sample(): Team = Team("core", LocalDate.of(2026, 12, 6)).apply {
            members += Person("ada", this, Instant.parse("2026-12-06T23:42:26Z"), ZoneId.of("Europe/Paris"), mapOf("reviews" to 12, "commits" to 340))
            val meeting = ZonedDateTime.of(2026, 12, 7, 9, 30, 0, 0, ZoneId.of("UTC"))
            notes = linkedMapOf("meeting" to meeting, "length" to Duration.ofMinutes(45), "tags" to listOf("jvm", "ipc"), "lead" to members[0], "none" to null)
        }
    }
}

class Person(val name: String, val team: Team, val joined: Instant, val zone: ZoneId, val scores: Map<String, Int>) {
    fun describe(): String = "$name@${team.name} $joined $zone $scores"

    override fun toString(): String = "Person($name)"
}
