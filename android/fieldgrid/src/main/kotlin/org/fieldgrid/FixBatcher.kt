package org.fieldgrid

import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import org.fieldgrid.ffi.FixInput
import org.fieldgrid.ffi.IngestSummary

/**
 * Collects fixes from the location service and hands them to the core in
 * batches: one native call and one durable transaction per batch instead of per
 * fix. Flushes when [maxFixes] are waiting or the oldest has waited [maxDelayMs];
 * call [flush] when the patrol pauses or stops and when the service is destroyed.
 */
class FixBatcher(
    private val client: FieldGridClient,
    private val patrolId: String,
    private val maxFixes: Int = 30,
    private val maxDelayMs: Long = 15_000,
) {
    private val lock = Mutex()
    private val pending = ArrayList<FixInput>(maxFixes)
    private var totals = IngestSummary(0u, 0u, 0u, 0u)

    /** Everything ingested so far. */
    val ingested: IngestSummary get() = totals

    /** Adds a fix; ingests the batch when it is full or old enough. */
    suspend fun add(fix: FixInput) {
        val batch = lock.withLock {
            pending.add(fix)
            val due = pending.size >= maxFixes || fix.timeMs - pending.first().timeMs >= maxDelayMs
            if (due) takeAll() else null
        }
        if (batch != null) ingest(batch)
    }

    /** Ingests whatever is waiting. */
    suspend fun flush() {
        val batch = lock.withLock { takeAll() }
        if (batch.isNotEmpty()) ingest(batch)
    }

    private fun takeAll(): List<FixInput> = ArrayList(pending).also { pending.clear() }

    private suspend fun ingest(batch: List<FixInput>) {
        val r = client.ingest(patrolId, batch)
        lock.withLock {
            totals = IngestSummary(
                totals.accepted + r.accepted,
                totals.rejected + r.rejected,
                totals.jumps + r.jumps,
                totals.mocked + r.mocked,
            )
        }
    }
}
