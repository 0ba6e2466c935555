package io.jcluster

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import java.net.InetSocketAddress
import java.util.Collections
import java.util.concurrent.atomic.AtomicBoolean

/** Reads the worker id a connection to [address] is answered with; fails after [millis] without an answer. */
fun readLineWithin(address: InetSocketAddress, millis: Int): Int = java.net.Socket().use { socket ->
    socket.soTimeout = millis
    socket.connect(address, millis)
    socket.getInputStream().readAllBytes().toString(Charsets.US_ASCII).trim().toInt()
}

class LoadOutcome(val answers: Int, val failures: List<String>)

/** Connects to [port] from [clients] loops while [action] runs; counts the answers and keeps every failure. */
suspend fun underLoad(port: Int, clients: Int, action: suspend () -> Unit): LoadOutcome = coroutineScope {
    val running = AtomicBoolean(true)
    val failures = Collections.synchronizedList(ArrayList<String>())
    val address = InetSocketAddress("127.0.0.1", port)
    val loops = List(clients) {
        async(Dispatchers.IO) {
            var answered = 0
            while (running.get()) {
                runCatching { readLineWithin(address, 10_000) }.onSuccess { answered++ }.onFailure { failures += it.toString() }
            }
            answered
        }
    }
    try {
        action()
    } finally {
        running.set(false)
    }
    LoadOutcome(loops.awaitAll().sum(), failures)
}
