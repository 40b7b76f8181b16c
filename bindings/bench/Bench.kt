package org.fieldgrid.bench

import java.nio.file.Files
import org.fieldgrid.ffi.FieldGrid
import org.fieldgrid.ffi.FixInput
import org.fieldgrid.ffi.ProviderInfo
import org.fieldgrid.ffi.TravelModeInfo

/** Median of [rounds] timings of [block], in nanoseconds per [per] operations. */
fun median(rounds: Int, per: Int, block: () -> Unit): Double {
    val times = (0 until rounds).map {
        val t = System.nanoTime()
        block()
        (System.nanoTime() - t).toDouble() / per
    }.sorted()
    return times[rounds / 2]
}

fun main() {
    val dir = Files.createTempDirectory("fieldgrid-bench").toString()
    val store = FieldGrid.open("$dir/bench.sqlite", null)
    store.signIn("worker-bench")
    var clock = System.currentTimeMillis() - 86_400_000L
    var lat = 34.5
    fun fixes(n: Int) = List(n) {
        clock += 1000
        lat += 0.00001
        FixInput(clock, lat, 118.74, 5f, 12f, 1.3f, 90f, ProviderInfo.GPS, false)
    }
    val patrol = store.startPatrol("320722104201001", "bench", TravelModeInfo.WALKING)
    val batch = fixes(1000)

    // Warm up the JIT and the native code paths.
    repeat(200_000) { store.ping() }
    repeat(200) { store.countFixes(batch) }
    repeat(5) { store.ingestFixes(patrol, fixes(1000)) }

    repeat(200_000) { org.fieldgrid.ffi.schemaVersion() }
    val ping = median(9, 200_000) { repeat(200_000) { store.ping() } }
    val free = median(9, 200_000) { repeat(200_000) { org.fieldgrid.ffi.schemaVersion() } }
    val cross = median(51, 1000) { store.countFixes(batch) }
    val batched = median(21, 1000) { store.ingestFixes(patrol, fixes(1000)) }
    val single = median(5, 1000) { repeat(1000) { store.ingestFixes(patrol, fixes(1)) } }

    println()
    println("| measure (Kotlin on the JVM, release native library) | per unit |")
    println("|---|---|")
    println("| trivial method call on the store object (`ping`), per call | %.0f ns |".format(ping))
    println("| trivial top-level function (`schemaVersion`), per call | %.0f ns |".format(free))
    println("| passing 1,000 fixes across the FFI in one call (`count_fixes`), per fix | %.0f ns |".format(cross))
    println("| ingesting 1,000 fixes in one call (durable), per fix | %.2f µs |".format(batched / 1000))
    println("| ingesting 1,000 fixes in 1,000 calls (each durable), per fix | %.1f µs |".format(single / 1000))
    println("| batch vs single calls | %.0f× |".format(single / batched))
    println("| FFI share of batched ingestion | %.0f %% |".format(100 * cross / batched))
    store.close()
}
