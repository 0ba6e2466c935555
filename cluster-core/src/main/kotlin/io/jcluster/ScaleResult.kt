package io.jcluster

/**
 * What a change of the wanted number of workers did ([ManagedCluster.scaleTo]): [from] and [to] wanted
 * workers, as the primary's loop saw them, in order with every other change; [refused] says why
 * nothing changed (then [to] equals [from]).
 */
public data class ScaleResult(val from: Int, val to: Int, val refused: String? = null)
