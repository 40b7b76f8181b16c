//! The PostgreSQL backend: a connection pool, nothing kept in process memory, so any
//! number of server instances can share one database.

use super::LivePosition;
use fieldgrid_core::assessment::{PatrolBrief, PointAdjustment};
use std::collections::HashMap;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::prelude::*;
use super::rows::{
    self, ACCOUNT_COLUMNS, CHANGE_COLUMNS, DOC_ROW_COLUMNS, RowRead, STORED_DOC_COLUMNS,
    WEB_SESSION_COLUMNS, WEB_USER_COLUMNS,
};
use super::{
    ChangeRow, ChunkOutcome, DeviceAccount, DeviceStatus, DocRow, DocumentSave, NewsItem,
    SaveOutcome, Storage, StorageError, StorageResult, StorageStats, StoredDoc, TrackChunk,
    WebSession, WebUser,
};

/// The PostgreSQL backend.
#[derive(Clone)]
pub struct PostgresStorage {
    pool: Pool,
    /// For the dedicated LISTEN connection.
    config: tokio_postgres::Config,
}

impl std::fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStorage").finish_non_exhaustive()
    }
}

fn pool_err(e: impl std::fmt::Display) -> StorageError {
    StorageError::Pool(e.to_string())
}

impl PostgresStorage {
    /// Connects to `url` (e.g. `postgres://user@127.0.0.1:5432/fieldgrid`) and
    /// brings the schema up to date (under an advisory lock, so instances starting
    /// together migrate once).
    pub async fn connect(url: &str, max_connections: usize) -> StorageResult<Self> {
        let config: tokio_postgres::Config = url.parse()?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections)
            .build()
            .map_err(pool_err)?;
        let storage = PostgresStorage { pool, config };
        storage.migrate().await?;
        Ok(storage)
    }

    async fn migrate(&self) -> StorageResult<()> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock(4647524401)", &[])
            .await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            .await?;
        let version: i64 = tx
            .query_opt("SELECT version FROM schema_version", &[])
            .await?
            .map_or(0, |r| r.get(0));
        let steps = super::migrations::pending(version)?;
        let Some(last) = steps.last() else {
            return Ok(());
        };
        for step in steps {
            tx.batch_execute(step.postgres).await?;
        }
        tx.execute("DELETE FROM schema_version", &[]).await?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&last.version],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn client(&self) -> StorageResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_err)
    }
}

#[async_trait]
impl Storage for PostgresStorage {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn stats(&self) -> StorageResult<StorageStats> {
        let client = self.client().await?;
        let devices = client
            .query("SELECT status, count(*) FROM accounts GROUP BY status", &[])
            .await?
            .iter()
            .map(|r| (DeviceStatus::parse(r.get(0)), r.get(1)))
            .collect();
        let documents: i64 = client
            .query_one("SELECT count(*) FROM documents", &[])
            .await?
            .get(0);
        let last_seq: i64 = client
            .query_one("SELECT value FROM counters WHERE name = 'seq'", &[])
            .await?
            .get(0);
        Ok(StorageStats {
            devices,
            documents,
            last_seq,
        })
    }
}

#[async_trait]
impl AccountStore for PostgresStorage {
    async fn create_account(&self, a: &DeviceAccount) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                &format!("INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)"),
                &[&a.id, &a.device_id, &a.name, &a.id_number, &a.phone, &a.token_hash,
                  &a.status.as_str(), &a.staff_id, &a.reason, &a.created_at, &a.last_sync_at],
            )
            .await?;
        Ok(())
    }

    async fn account(&self, id: &str) -> StorageResult<Option<DeviceAccount>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"),
                &[&id],
            )
            .await?;
        row.as_ref().map(rows::account).transpose()
    }

    async fn account_by_token(&self, token_hash: &str) -> StorageResult<Option<DeviceAccount>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE token_hash = $1"),
                &[&token_hash],
            )
            .await?;
        row.as_ref().map(rows::account).transpose()
    }

    async fn accounts(&self, status: Option<DeviceStatus>) -> StorageResult<Vec<DeviceAccount>> {
        let status = status.map(|s| s.as_str());
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE $1::TEXT IS NULL OR status = $1
                     ORDER BY created_at, id"
                ),
                &[&status],
            )
            .await?;
        rows.iter().map(rows::account).collect()
    }

    async fn set_account_status(
        &self,
        id: &str,
        from: DeviceStatus,
        to: DeviceStatus,
        staff_id: Option<&str>,
        reason: Option<&str>,
        at: i64,
    ) -> StorageResult<bool> {
        let n = self
            .client()
            .await?
            .execute(
                "UPDATE accounts SET status = $3, staff_id = coalesce($4, staff_id),
                        reason = coalesce($5, reason), decided_at = $6
                 WHERE id = $1 AND status = $2",
                &[&id, &from.as_str(), &to.as_str(), &staff_id, &reason, &at],
            )
            .await?;
        Ok(n == 1)
    }

    async fn touch_account(&self, id: &str, at: i64) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "UPDATE accounts SET last_sync_at = $2 WHERE id = $1",
                &[&id, &at],
            )
            .await?;
        Ok(())
    }

    async fn create_admin(&self, name: &str, token_hash: &str, at: i64) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO admins (token_hash, name, created_at) VALUES ($1, $2, $3)",
                &[&token_hash, &name, &at],
            )
            .await?;
        Ok(())
    }

    async fn admin_by_token(&self, token_hash: &str) -> StorageResult<Option<String>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT name FROM admins WHERE token_hash = $1",
                &[&token_hash],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn record_attempt(&self, keys: &[String], at: i64) -> StorageResult<()> {
        let client = self.client().await?;
        for k in keys {
            client
                .execute("INSERT INTO attempts (key, at) VALUES ($1, $2)", &[k, &at])
                .await?;
        }
        Ok(())
    }

    async fn attempts_since(&self, key: &str, since: i64) -> StorageResult<u64> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM attempts WHERE at < $1::BIGINT - 86400",
                &[&since],
            )
            .await?;
        let n: i64 = client
            .query_one(
                "SELECT count(*) FROM attempts WHERE key = $1 AND at >= $2",
                &[&key, &since],
            )
            .await?
            .get(0);
        Ok(n as u64)
    }

    async fn clear_attempts(&self, key: &str) -> StorageResult<()> {
        self.client()
            .await?
            .execute("DELETE FROM attempts WHERE key = $1", &[&key])
            .await?;
        Ok(())
    }
}

#[async_trait]
impl ReferenceStore for PostgresStorage {
    async fn put_reference(&self, what: &str, version: u64, body: &str) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO reference_data (what, version, body) VALUES ($1, $2, $3)
                 ON CONFLICT (what) DO UPDATE SET version = excluded.version, body = excluded.body",
                &[&what, &(version as i64), &body],
            )
            .await?;
        Ok(())
    }

    async fn reference(&self, what: &str) -> StorageResult<Option<(u64, String)>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT version, body FROM reference_data WHERE what = $1",
                &[&what],
            )
            .await?;
        Ok(row.map(|r| (r.get::<_, i64>(0) as u64, r.get(1))))
    }

    async fn reference_versions(&self) -> StorageResult<Vec<(String, u64)>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT what, version FROM reference_data ORDER BY what",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get::<_, i64>(1) as u64))
            .collect())
    }
}

#[async_trait]
impl DocumentStore for PostgresStorage {
    async fn document(&self, doc_id: &str) -> StorageResult<Option<StoredDoc>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!("SELECT {STORED_DOC_COLUMNS} FROM documents WHERE doc_id = $1"),
                &[&doc_id],
            )
            .await?;
        row.map(|r| rows::stored_doc(&r, 0)).transpose()
    }

    async fn documents(&self, doc_ids: &[String]) -> StorageResult<HashMap<String, StoredDoc>> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT doc_id, {STORED_DOC_COLUMNS} FROM documents WHERE doc_id = ANY($1)"
                ),
                &[&doc_ids],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.col::<String>(0)?, rows::stored_doc(r, 1)?)))
            .collect()
    }

    async fn save_documents(&self, saves: &[DocumentSave<'_>]) -> StorageResult<Vec<SaveOutcome>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let insert = tx
            .prepare(
                "INSERT INTO documents (doc_id, kind, grid_code, data, version, updated_at)
                 VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (doc_id) DO NOTHING",
            )
            .await?;
        let update = tx
            .prepare(
                "UPDATE documents SET grid_code = $2, data = $3, version = version + 1, updated_at = $4
                 WHERE doc_id = $1 AND version = $5",
            )
            .await?;
        // Rows are locked in id order, so two batches touching the same records
        // cannot deadlock.
        let mut order: Vec<usize> = (0..saves.len()).collect();
        order.sort_by_key(|&i| saves[i].doc_id);
        let mut outcomes = vec![SaveOutcome::Conflict; saves.len()];
        let mut rows: Vec<&DocumentSave<'_>> = Vec::new();
        for i in order {
            let save = &saves[i];
            let grid = &save.merged.grid_code;
            let n = match save.expected_version {
                None => {
                    tx.execute(
                        &insert,
                        &[
                            &save.doc_id,
                            &save.kind.as_str(),
                            grid,
                            &save.merged.document,
                            &save.at,
                        ],
                    )
                    .await?
                }
                Some(expected) => {
                    tx.execute(
                        &update,
                        &[
                            &save.doc_id,
                            grid,
                            &save.merged.document,
                            &save.at,
                            &expected,
                        ],
                    )
                    .await?
                }
            };
            if n == 1 {
                outcomes[i] = SaveOutcome::Saved;
                for hash in save.new_photos() {
                    tx.execute(
                        "INSERT INTO blob_refs (hash, doc_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        &[&hash, &save.doc_id],
                    )
                    .await?;
                }
                if !save.sequence_bytes().is_empty() {
                    rows.push(save);
                }
            }
        }
        if !rows.is_empty() {
            // The counter row, locked until commit, makes sequence numbers become
            // visible in order.
            let end: i64 = tx
                .query_one(
                    "UPDATE counters SET value = value + $1 WHERE name = 'seq' RETURNING value",
                    &[&(rows.len() as i64)],
                )
                .await?
                .get(0);
            let insert_change = tx
                .prepare(
                    "INSERT INTO changes (seq, doc_id, kind, grid_code, bytes, origin)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .await?;
            let first = end - rows.len() as i64 + 1;
            for (i, save) in rows.iter().enumerate() {
                tx.execute(
                    &insert_change,
                    &[
                        &(first + i as i64),
                        &save.doc_id,
                        &save.kind.as_str(),
                        &save.merged.grid_code,
                        &save.sequence_bytes(),
                        &save.origin_device,
                    ],
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn changes_after(
        &self,
        seq: i64,
        upto: i64,
        grids: &[String],
        exclude_origin: &str,
        limit: u32,
    ) -> StorageResult<Vec<ChangeRow>> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {CHANGE_COLUMNS} FROM changes
                     WHERE seq > $1 AND seq <= $2 AND grid_code = ANY($3) AND origin <> $4
                     ORDER BY seq LIMIT $5"
                ),
                &[&seq, &upto, &grids, &exclude_origin, &(limit as i64)],
            )
            .await?;
        rows.iter().map(rows::change_row).collect()
    }

    async fn documents_page(
        &self,
        grids: &[String],
        after: &str,
        limit: u32,
    ) -> StorageResult<Vec<DocRow>> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {DOC_ROW_COLUMNS} FROM documents
                     WHERE doc_id > $2 AND grid_code = ANY($1) ORDER BY doc_id LIMIT $3"
                ),
                &[&grids, &after, &(limit as i64)],
            )
            .await?;
        rows.iter().map(rows::doc_row).collect()
    }

    async fn last_seq(&self) -> StorageResult<i64> {
        Ok(self
            .client()
            .await?
            .query_one("SELECT value FROM counters WHERE name = 'seq'", &[])
            .await?
            .get(0))
    }

    async fn identity(&self) -> StorageResult<String> {
        Ok(self
            .client()
            .await?
            .query_one("SELECT value FROM storage_identity WHERE id = 1", &[])
            .await?
            .get(0))
    }
}

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

#[async_trait]
impl WebSessionStore for PostgresStorage {
    async fn put_web_user(&self, user: &WebUser) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO web_users (username, password_hash, role, staff_id, created_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash,
                    role = EXCLUDED.role, staff_id = EXCLUDED.staff_id",
                &[
                    &user.username,
                    &user.password_hash,
                    &user.role,
                    &user.staff_id,
                    &user.created_at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn web_user(&self, username: &str) -> StorageResult<Option<WebUser>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!("SELECT {WEB_USER_COLUMNS} FROM web_users WHERE username = $1"),
                &[&username],
            )
            .await?;
        row.as_ref().map(rows::web_user).transpose()
    }

    async fn create_web_session(&self, session: &WebSession) -> StorageResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM web_sessions WHERE expires_at < $1",
                &[&(session.expires_at - 14 * 86_400)],
            )
            .await?;
        client
            .execute(
                "INSERT INTO web_sessions (id_hash, username, csrf, expires_at) VALUES ($1, $2, $3, $4)",
                &[&session.id_hash, &session.username, &session.csrf, &session.expires_at],
            )
            .await?;
        Ok(())
    }

    async fn web_session(&self, id_hash: &str, now: i64) -> StorageResult<Option<WebSession>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!(
                    "SELECT {WEB_SESSION_COLUMNS} FROM web_sessions
                     WHERE id_hash = $1 AND expires_at > $2"
                ),
                &[&id_hash, &now],
            )
            .await?;
        row.as_ref().map(rows::web_session).transpose()
    }

    async fn delete_web_session(&self, id_hash: &str) -> StorageResult<()> {
        self.client()
            .await?
            .execute("DELETE FROM web_sessions WHERE id_hash = $1", &[&id_hash])
            .await?;
        Ok(())
    }
}

#[async_trait]
impl UploadStore for PostgresStorage {
    async fn photo_grids(&self, hash: &str) -> StorageResult<Vec<String>> {
        Ok(self
            .client()
            .await?
            .query(
                "SELECT DISTINCT d.grid_code FROM blob_refs r JOIN documents d ON d.doc_id = r.doc_id
                 WHERE r.hash = $1",
                &[&hash],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    async fn add_photo_refs(&self, doc_id: &str, hashes: &[String]) -> StorageResult<()> {
        let client = self.client().await?;
        for h in hashes {
            client
                .execute(
                    "INSERT INTO blob_refs (hash, doc_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[h, &doc_id],
                )
                .await?;
        }
        Ok(())
    }

    async fn has_photo_refs(&self) -> StorageResult<bool> {
        Ok(self
            .client()
            .await?
            .query_one("SELECT EXISTS (SELECT 1 FROM blob_refs)", &[])
            .await?
            .get(0))
    }

    async fn claim_upload(&self, hash: &str, device: &str, at: i64) -> StorageResult<String> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO uploads (hash, device_id, started_at) VALUES ($1, $2, $3)
                 ON CONFLICT (hash) DO NOTHING",
                &[&hash, &device, &at],
            )
            .await?;
        Ok(client
            .query_one("SELECT device_id FROM uploads WHERE hash = $1", &[&hash])
            .await?
            .get(0))
    }

    async fn end_upload(&self, hash: &str) -> StorageResult<()> {
        self.client()
            .await?
            .execute("DELETE FROM uploads WHERE hash = $1", &[&hash])
            .await?;
        Ok(())
    }

    async fn stale_uploads(&self, before: i64) -> StorageResult<Vec<String>> {
        Ok(self
            .client()
            .await?
            .query("SELECT hash FROM uploads WHERE started_at < $1", &[&before])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }
}

#[async_trait]
impl NewsStore for PostgresStorage {
    async fn add_news(&self, items: &[NewsItem]) -> StorageResult<()> {
        if items.is_empty() {
            return Ok(());
        }
        let targets: Vec<&str> = items.iter().map(|n| n.target.as_str()).collect();
        let ids: Vec<&str> = items.iter().map(|n| n.incident_id.as_str()).collect();
        let kinds: Vec<&str> = items.iter().map(|n| n.kind.as_str()).collect();
        let ats: Vec<i64> = items.iter().map(|n| n.at).collect();
        self.client()
            .await?
            .execute(
                "INSERT INTO news (target, incident_id, kind, at)
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[])",
                &[&targets, &ids, &kinds, &ats],
            )
            .await?;
        Ok(())
    }

    async fn news_after(&self, targets: &[String], after: i64) -> StorageResult<(i64, u64)> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT (SELECT COALESCE(MAX(seq), 0) FROM news),
                        (SELECT COUNT(*) FROM news WHERE target = ANY($1) AND seq > $2)",
                &[&targets, &after],
            )
            .await?;
        let count: i64 = row.get(1);
        Ok((row.get(0), count as u64))
    }

    async fn prune_news(&self, before: i64) -> StorageResult<u64> {
        Ok(self
            .client()
            .await?
            .execute("DELETE FROM news WHERE at < $1", &[&before])
            .await?)
    }
}

#[async_trait]
impl LiveStore for PostgresStorage {
    async fn put_position(&self, p: &LivePosition) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO live_positions (staff_id, grid_code, lat_e6, lon_e6, accuracy_m, at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (staff_id) DO UPDATE SET grid_code = excluded.grid_code,
                   lat_e6 = excluded.lat_e6, lon_e6 = excluded.lon_e6,
                   accuracy_m = excluded.accuracy_m, at = excluded.at
                 WHERE excluded.at >= live_positions.at",
                &[
                    &p.staff_id,
                    &p.grid_code,
                    &p.lat_e6,
                    &p.lon_e6,
                    &p.accuracy_m,
                    &p.at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn live_positions(&self, since: i64) -> StorageResult<Vec<LivePosition>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT staff_id, grid_code, lat_e6, lon_e6, accuracy_m, at FROM live_positions
                 WHERE at >= $1 ORDER BY staff_id",
                &[&since],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| LivePosition {
                staff_id: r.get(0),
                grid_code: r.get(1),
                lat_e6: r.get(2),
                lon_e6: r.get(3),
                accuracy_m: r.get(4),
                at: r.get(5),
            })
            .collect())
    }

    fn shares_events(&self) -> bool {
        true
    }

    async fn notify_live(&self, payload: &str) -> StorageResult<()> {
        self.client()
            .await?
            .execute("SELECT pg_notify('fieldgrid_live', $1)", &[&payload])
            .await?;
        Ok(())
    }

    async fn listen_live(&self) -> StorageResult<Option<tokio::sync::mpsc::Receiver<String>>> {
        let (client, mut connection) = self.config.connect(NoTls).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        let tx_closed = tx.clone();
        tokio::spawn(async move {
            while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                match message {
                    Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                        if tx.send(n.payload().to_owned()).await.is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "the live-events connection closed");
                        break;
                    }
                }
            }
        });
        client.batch_execute("LISTEN fieldgrid_live").await?;
        // The client lives until nobody listens any more.
        let closed = tx_closed;
        tokio::spawn(async move {
            closed.closed().await;
            drop(client);
        });
        Ok(Some(rx))
    }
}

#[async_trait]
impl PointStore for PostgresStorage {
    async fn add_point_adjustment(&self, a: &PointAdjustment) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO point_adjustments (staff_id, at, points, reason, by_user)
                 VALUES ($1, $2, $3, $4, $5)",
                &[&a.staff, &a.at, &a.points, &a.reason, &a.by],
            )
            .await?;
        Ok(())
    }

    async fn point_adjustments(
        &self,
        staff: &str,
        from: i64,
        to: i64,
    ) -> StorageResult<Vec<PointAdjustment>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT staff_id, at, points, reason, by_user FROM point_adjustments
                 WHERE staff_id = $1 AND at >= $2 AND at < $3 ORDER BY id",
                &[&staff, &from, &to],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| PointAdjustment {
                staff: r.get(0),
                at: r.get(1),
                points: r.get(2),
                reason: r.get(3),
                by: r.get(4),
            })
            .collect())
    }
}

#[async_trait]
impl IntakeStore for PostgresStorage {
    async fn create_intake_key(&self, name: &str, token_hash: &str, at: i64) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO intake_keys (token_hash, name, created_at) VALUES ($1, $2, $3)",
                &[&token_hash, &name, &at],
            )
            .await?;
        Ok(())
    }

    async fn intake_key_by_token(&self, token_hash: &str) -> StorageResult<Option<String>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT name FROM intake_keys WHERE token_hash = $1 AND revoked_at IS NULL",
                &[&token_hash],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn revoke_intake_key(&self, name: &str, at: i64) -> StorageResult<bool> {
        let n = self
            .client()
            .await?
            .execute(
                "UPDATE intake_keys SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
                &[&name, &at],
            )
            .await?;
        Ok(n > 0)
    }

    async fn claim_intake_ref(
        &self,
        reference: &str,
        incident_id: &str,
        at: i64,
    ) -> StorageResult<String> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO intake_refs (ref, incident_id, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (ref) DO NOTHING",
                &[&reference, &incident_id, &at],
            )
            .await?;
        let row = client
            .query_one(
                "SELECT incident_id FROM intake_refs WHERE ref = $1",
                &[&reference],
            )
            .await?;
        Ok(row.get(0))
    }

    async fn intake_ref(&self, reference: &str) -> StorageResult<Option<String>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT incident_id FROM intake_refs WHERE ref = $1",
                &[&reference],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn drop_intake_ref(&self, reference: &str) -> StorageResult<()> {
        self.client()
            .await?
            .execute("DELETE FROM intake_refs WHERE ref = $1", &[&reference])
            .await?;
        Ok(())
    }
}

#[async_trait]
impl KnowledgeStore for PostgresStorage {
    async fn knowledge_version(&self) -> StorageResult<u64> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT coalesce(max(version), 0) FROM knowledge_versions",
                &[],
            )
            .await?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    async fn knowledge_changes(
        &self,
        since: u64,
        to: u64,
        after: Option<(String, String)>,
        limit: u32,
    ) -> StorageResult<Vec<super::KnowledgeRow>> {
        let (kind, id) = after.unwrap_or_default();
        let rows = self
            .client()
            .await?
            .query(
                &rows::knowledge_changes_sql('$'),
                &[&(since as i64), &(to as i64), &kind, &id, &i64::from(limit)],
            )
            .await?;
        rows.iter().map(rows::knowledge_row).collect()
    }

    async fn knowledge_change_count(&self, since: u64, to: u64) -> StorageResult<u64> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT count(*) FROM (SELECT DISTINCT kind, id FROM knowledge_revisions
                 WHERE version > $1 AND version <= $2) d",
                &[&(since as i64), &(to as i64)],
            )
            .await?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    async fn knowledge_latest(&self) -> StorageResult<Vec<super::KnowledgeRow>> {
        let rows = self
            .client()
            .await?
            .query(rows::KNOWLEDGE_LATEST_SQL, &[])
            .await?;
        rows.iter().map(rows::knowledge_row).collect()
    }

    async fn knowledge_history(
        &self,
        kind: &str,
        id: &str,
    ) -> StorageResult<Vec<super::KnowledgeRow>> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {} FROM knowledge_revisions WHERE kind = $1 AND id = $2
                     ORDER BY version DESC",
                    rows::KNOWLEDGE_COLUMNS
                ),
                &[&kind, &id],
            )
            .await?;
        rows.iter().map(rows::knowledge_row).collect()
    }

    async fn knowledge_drafts(&self) -> StorageResult<Vec<super::KnowledgeRow>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT kind, id, 0::BIGINT, item, author, at FROM knowledge_drafts
                 ORDER BY kind, id",
                &[],
            )
            .await?;
        rows.iter().map(rows::knowledge_row).collect()
    }

    async fn put_knowledge_drafts(&self, drafts: &[super::KnowledgeRow]) -> StorageResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let stmt = tx
            .prepare(
                "INSERT INTO knowledge_drafts (kind, id, item, author, at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (kind, id) DO UPDATE SET item = excluded.item,
                     author = excluded.author, at = excluded.at",
            )
            .await?;
        for d in drafts {
            tx.execute(&stmt, &[&d.kind, &d.id, &d.item, &d.author, &d.at])
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn discard_knowledge_drafts(&self, item: Option<(&str, &str)>) -> StorageResult<u64> {
        let client = self.client().await?;
        let n = match item {
            Some((kind, id)) => {
                client
                    .execute(
                        "DELETE FROM knowledge_drafts WHERE kind = $1 AND id = $2",
                        &[&kind, &id],
                    )
                    .await?
            }
            None => client.execute("DELETE FROM knowledge_drafts", &[]).await?,
        };
        Ok(n)
    }

    async fn publish_knowledge(
        &self,
        expected: u64,
        author: &str,
        at: i64,
    ) -> StorageResult<Option<u64>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // One publish at a time across every instance.
        tx.execute("LOCK TABLE knowledge_versions IN EXCLUSIVE MODE", &[])
            .await?;
        let current: i64 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM knowledge_versions",
                &[],
            )
            .await?
            .get(0);
        if current as u64 != expected {
            return Err(StorageError::Conflict(format!(
                "version {current} was published meanwhile"
            )));
        }
        let drafts: i64 = tx
            .query_one("SELECT count(*) FROM knowledge_drafts", &[])
            .await?
            .get(0);
        if drafts == 0 {
            return Ok(None);
        }
        let version = current + 1;
        tx.execute(
            "INSERT INTO knowledge_revisions (kind, id, version, item, author, at)
             SELECT kind, id, $1, item, author, at FROM knowledge_drafts",
            &[&version],
        )
        .await?;
        tx.execute(
            "INSERT INTO knowledge_versions (version, author, at, changed) VALUES ($1, $2, $3, $4)",
            &[&version, &author, &at, &drafts],
        )
        .await?;
        tx.execute("DELETE FROM knowledge_drafts", &[]).await?;
        tx.execute(
            "INSERT INTO reference_data (what, version, body) VALUES ($1, $2, $3)
             ON CONFLICT (what) DO UPDATE SET version = excluded.version, body = excluded.body",
            &[
                &fieldgrid_core::knowledge::KNOWLEDGE,
                &version,
                &format!("{{\"version\":{version}}}"),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(Some(version as u64))
    }

    async fn knowledge_versions(&self) -> StorageResult<Vec<super::KnowledgeVersion>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT version, author, at, changed FROM knowledge_versions ORDER BY version DESC",
                &[],
            )
            .await?;
        rows.iter().map(rows::knowledge_version).collect()
    }
}

/// A held advisory lock: the pooled connection whose session holds it.
struct AdvisoryLease {
    client: deadpool_postgres::Object,
    key: i64,
}

#[async_trait]
impl super::JobLease for AdvisoryLease {
    async fn release(self: Box<Self>) {
        if self
            .client
            .execute("SELECT pg_advisory_unlock($1)", &[&self.key])
            .await
            .is_err()
        {
            // The connection is broken: dropping it ends the session and the lock.
            let _ = deadpool_postgres::Object::take(self.client);
        }
    }
}

#[async_trait]
impl JobStore for PostgresStorage {
    async fn try_lead(&self, job: &str) -> StorageResult<Option<Box<dyn super::JobLease>>> {
        let key = super::job_key(job);
        let client = self.client().await?;
        let held: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .await?
            .get(0);
        Ok(held.then(|| Box::new(AdvisoryLease { client, key }) as Box<dyn super::JobLease>))
    }
}
