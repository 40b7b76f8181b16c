//! GPS track chunks and the patrols they make up: the PostgreSQL backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl TrackStore for PostgresStorage {
    async fn patrol_chunk_counts(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> StorageResult<Vec<(String, String, String, i64)>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT patrol, worker_id, grid_code, COUNT(*) FROM track_chunks
                 WHERE last_ms >= $1 AND first_ms < $2
                 GROUP BY patrol, worker_id, grid_code ORDER BY min(first_ms)",
                &[&from_ms, &to_ms],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect())
    }

    async fn patrol_briefs(
        &self,
        patrols: &[String],
    ) -> StorageResult<HashMap<String, (i64, PatrolBrief)>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT patrol, chunks, worker_id, grid_code, started_at, hours, coverage, flagged
                 FROM patrol_briefs WHERE patrol = ANY($1)",
                &[&patrols],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let id: String = r.get(0);
                (
                    id.clone(),
                    (
                        r.get(1),
                        PatrolBrief {
                            id,
                            worker: r.get(2),
                            grid: r.get(3),
                            started_at: r.get(4),
                            hours: r.get(5),
                            coverage: r.get(6),
                            flagged: r.get::<_, i64>(7) != 0,
                        },
                    ),
                )
            })
            .collect())
    }

    async fn put_patrol_brief(&self, b: &PatrolBrief, chunks: i64) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO patrol_briefs
                   (patrol, chunks, worker_id, grid_code, started_at, hours, coverage, flagged)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (patrol) DO UPDATE SET chunks = excluded.chunks,
                   worker_id = excluded.worker_id, grid_code = excluded.grid_code,
                   started_at = excluded.started_at, hours = excluded.hours,
                   coverage = excluded.coverage, flagged = excluded.flagged",
                &[
                    &b.id,
                    &chunks,
                    &b.worker,
                    &b.grid,
                    &b.started_at,
                    &b.hours,
                    &b.coverage,
                    &i64::from(b.flagged),
                ],
            )
            .await?;
        Ok(())
    }

    async fn put_track_chunk(&self, c: &TrackChunk) -> StorageResult<ChunkOutcome> {
        let client = self.client().await?;
        let n = client
            .execute(
                "INSERT INTO track_chunks (patrol, chunk, worker_id, grid_code, day, first_seq, fixes,
                    first_ms, last_ms, bytes, hash, received_at, clock_backwards, clock_skew_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING",
                &[&c.patrol, &(c.chunk as i64), &c.worker_id, &c.grid_code, &c.day, &(c.first_seq as i64),
                  &(c.fixes as i64), &c.first_ms, &c.last_ms, &c.bytes, &c.hash, &c.received_at,
                  &(c.clock_backwards as i64), &c.clock_skew_ms],
            )
            .await?;
        if n == 1 {
            return Ok(ChunkOutcome::Stored);
        }
        let hash: String = client
            .query_one(
                "SELECT hash FROM track_chunks WHERE patrol = $1 AND chunk = $2",
                &[&c.patrol, &(c.chunk as i64)],
            )
            .await?
            .get(0);
        Ok(if hash == c.hash {
            ChunkOutcome::AlreadyStored
        } else {
            ChunkOutcome::Conflict
        })
    }

    async fn track_chunks(&self, patrol: &str) -> StorageResult<Vec<Vec<u8>>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT bytes FROM track_chunks WHERE patrol = $1 ORDER BY chunk",
                &[&patrol],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn patrol_clock(&self, patrol: &str) -> StorageResult<(u64, i64)> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT coalesce(max(clock_backwards), 0)::BIGINT, coalesce(max(clock_skew_ms), 0)::BIGINT
                 FROM track_chunks WHERE patrol = $1",
                &[&patrol],
            )
            .await?;
        Ok((row.get::<_, i64>(0) as u64, row.get(1)))
    }

    async fn worker_patrols_between(
        &self,
        worker_id: &str,
        from_ms: i64,
        before_ms: i64,
        limit: u32,
    ) -> StorageResult<Vec<String>> {
        Ok(self
            .client()
            .await?
            .query(
                "SELECT patrol FROM track_chunks WHERE worker_id = $1 GROUP BY patrol
                 HAVING min(first_ms) >= $2 AND min(first_ms) < $3
                 ORDER BY min(first_ms) DESC LIMIT $4",
                &[&worker_id, &from_ms, &before_ms, &i64::from(limit)],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    async fn worker_day_patrols(&self, worker_id: &str, day: &str) -> StorageResult<Vec<String>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT patrol FROM track_chunks WHERE worker_id = $1 AND day = $2
                 GROUP BY patrol ORDER BY min(first_ms)",
                &[&worker_id, &day],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn patrols_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> StorageResult<Vec<(String, String)>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT patrol, worker_id FROM track_chunks WHERE last_ms >= $1 AND first_ms < $2
                 GROUP BY patrol, worker_id ORDER BY min(first_ms)",
                &[&from_ms, &to_ms],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
