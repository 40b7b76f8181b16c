//! GPS track chunks and the patrols they make up: the SQLite backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl TrackStore for SqliteStorage {
    async fn patrol_chunk_counts(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> StorageResult<Vec<(String, String, String, i64)>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT patrol, worker_id, grid_code, COUNT(*) FROM track_chunks
                 WHERE last_ms >= ?1 AND first_ms < ?2
                 GROUP BY patrol, worker_id, grid_code ORDER BY min(first_ms)",
            )?;
            let rows = stmt
                .query_map(params![from_ms, to_ms], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }

    async fn patrol_briefs(
        &self,
        patrols: &[String],
    ) -> StorageResult<HashMap<String, (i64, PatrolBrief)>> {
        let ids = serde_json::to_string(patrols).unwrap_or_else(|_| "[]".into());
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT patrol, chunks, worker_id, grid_code, started_at, hours, coverage, flagged
                 FROM patrol_briefs WHERE patrol IN (SELECT value FROM json_each(?1))",
            )?;
            let rows = stmt
                .query_map([ids], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        (
                            r.get(1)?,
                            PatrolBrief {
                                id: r.get(0)?,
                                worker: r.get(2)?,
                                grid: r.get(3)?,
                                started_at: r.get(4)?,
                                hours: r.get(5)?,
                                coverage: r.get(6)?,
                                flagged: r.get::<_, i64>(7)? != 0,
                            },
                        ),
                    ))
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }

    async fn put_patrol_brief(&self, b: &PatrolBrief, chunks: i64) -> StorageResult<()> {
        let b = b.clone();
        self.write(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO patrol_briefs
                   (patrol, chunks, worker_id, grid_code, started_at, hours, coverage, flagged)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    b.id,
                    chunks,
                    b.worker,
                    b.grid,
                    b.started_at,
                    b.hours,
                    b.coverage,
                    i64::from(b.flagged)
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn put_track_chunk(&self, c: &TrackChunk) -> StorageResult<ChunkOutcome> {
        let c = c.clone();
        self.write(move |conn| {
            let n = conn.execute(
                "INSERT INTO track_chunks (patrol, chunk, worker_id, grid_code, day, first_seq, fixes,
                    first_ms, last_ms, bytes, hash, received_at, clock_backwards, clock_skew_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT DO NOTHING",
                params![c.patrol, c.chunk as i64, c.worker_id, c.grid_code, c.day, c.first_seq as i64,
                        c.fixes as i64, c.first_ms, c.last_ms, c.bytes, c.hash, c.received_at,
                        c.clock_backwards as i64, c.clock_skew_ms],
            )?;
            if n == 1 {
                return Ok(ChunkOutcome::Stored);
            }
            let hash: String = conn.query_row(
                "SELECT hash FROM track_chunks WHERE patrol = ?1 AND chunk = ?2",
                params![c.patrol, c.chunk as i64],
                |r| r.get(0),
            )?;
            Ok(if hash == c.hash { ChunkOutcome::AlreadyStored } else { ChunkOutcome::Conflict })
        })
        .await
    }

    async fn track_chunks(&self, patrol: &str) -> StorageResult<Vec<Vec<u8>>> {
        let p = patrol.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT bytes FROM track_chunks WHERE patrol = ?1 ORDER BY chunk",
            )?;
            let rows = stmt
                .query_map([p], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }

    async fn patrol_clock(&self, patrol: &str) -> StorageResult<(u64, i64)> {
        let p = patrol.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT coalesce(max(clock_backwards), 0), coalesce(max(clock_skew_ms), 0)
                 FROM track_chunks WHERE patrol = ?1",
                [p],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
            )?)
        })
        .await
    }

    async fn worker_patrols_between(
        &self,
        worker_id: &str,
        from_ms: i64,
        before_ms: i64,
        limit: u32,
    ) -> StorageResult<Vec<String>> {
        let w = worker_id.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT patrol FROM track_chunks WHERE worker_id = ?1 GROUP BY patrol
                 HAVING min(first_ms) >= ?2 AND min(first_ms) < ?3
                 ORDER BY min(first_ms) DESC LIMIT ?4",
            )?;
            let rows = stmt
                .query_map(params![w, from_ms, before_ms, limit], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }

    async fn worker_day_patrols(&self, worker_id: &str, day: &str) -> StorageResult<Vec<String>> {
        let (w, d) = (worker_id.to_owned(), day.to_owned());
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT patrol FROM track_chunks WHERE worker_id = ?1 AND day = ?2
                 GROUP BY patrol ORDER BY min(first_ms)",
            )?;
            let rows = stmt
                .query_map(params![w, d], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }

    async fn patrols_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> StorageResult<Vec<(String, String)>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT patrol, worker_id FROM track_chunks WHERE last_ms >= ?1 AND first_ms < ?2
                 GROUP BY patrol, worker_id ORDER BY min(first_ms)",
            )?;
            let rows = stmt
                .query_map(params![from_ms, to_ms], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }
}
