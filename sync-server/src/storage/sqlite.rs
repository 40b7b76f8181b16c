//! The embedded SQLite backend: one file, one writer connection, a few readers.

use super::LivePosition;
use fieldgrid_core::assessment::{PatrolBrief, PointAdjustment};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

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

const READERS: usize = 4;

struct Inner {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

/// The embedded SQLite backend.
#[derive(Clone)]
pub struct SqliteStorage {
    inner: Arc<Inner>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStorage")
            .field("path", &self.path)
            .finish()
    }
}

fn connect(path: &Path) -> StorageResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // The server's copy is what phones stop re-sending once acknowledged: commits
    // must survive power loss.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
    )?;
    Ok(conn)
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SqliteStorage {
    /// Opens (or creates) the database file and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> StorageResult<Self> {
        let path = path.as_ref().to_owned();
        let writer = connect(&path)?;
        migrate(&writer)?;
        let readers = (0..READERS)
            .map(|_| connect(&path).map(Mutex::new))
            .collect::<StorageResult<_>>()?;
        Ok(SqliteStorage {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                readers,
                next: AtomicUsize::new(0),
            }),
            path,
        })
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> StorageResult<T> + Send + 'static,
    ) -> StorageResult<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let i = inner.next.fetch_add(1, Ordering::Relaxed) % inner.readers.len();
            f(&lock(&inner.readers[i]))
        })
        .await
        .map_err(|e| StorageError::Other(e.to_string()))?
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> StorageResult<T> + Send + 'static,
    ) -> StorageResult<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&mut lock(&inner.writer)))
            .await
            .map_err(|e| StorageError::Other(e.to_string()))?
    }
}

fn migrate(conn: &Connection) -> StorageResult<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let steps = super::migrations::pending(version)?;
    conn.execute_batch("BEGIN IMMEDIATE")?;
    for step in steps {
        if let Err(e) = conn.execute_batch(step.sqlite) {
            conn.execute_batch("ROLLBACK")?;
            return Err(e.into());
        }
        conn.pragma_update(None, "user_version", step.version)?;
    }
    conn.execute_batch("COMMIT")?;
    Ok(())
}

/// The first row `sql` gives, read by `map`, if any.
fn one<T>(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl Fn(&rusqlite::Row<'_>) -> StorageResult<T>,
) -> StorageResult<Option<T>> {
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    rows.next()?.map(map).transpose()
}

/// Every row `sql` gives, read by `map`.
fn all<T>(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl Fn(&rusqlite::Row<'_>) -> StorageResult<T>,
) -> StorageResult<Vec<T>> {
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(map(r)?);
    }
    Ok(out)
}

/// A save with owned data, to move onto the blocking writer thread.
struct OwnedSave {
    doc_id: String,
    kind: &'static str,
    expected: Option<i64>,
    grid: String,
    data: Vec<u8>,
    delta: Vec<u8>,
    origin: String,
    at: i64,
    photos: Vec<String>,
}

impl From<&DocumentSave<'_>> for OwnedSave {
    fn from(s: &DocumentSave<'_>) -> Self {
        OwnedSave {
            doc_id: s.doc_id.to_owned(),
            kind: s.kind.as_str(),
            expected: s.expected_version,
            grid: s.merged.grid_code.clone(),
            data: s.merged.document.clone(),
            delta: s.sequence_bytes().to_vec(),
            origin: s.origin_device.to_owned(),
            at: s.at,
            photos: s.new_photos().map(str::to_owned).collect(),
        }
    }
}

fn grids_json(grids: &[String]) -> String {
    serde_json::to_string(grids).unwrap_or_else(|_| "[]".into())
}

#[async_trait]
impl Storage for SqliteStorage {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn stats(&self) -> StorageResult<StorageStats> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT status, count(*) FROM accounts GROUP BY status")?;
            let devices = stmt
                .query_map([], |r| {
                    Ok((DeviceStatus::parse(&r.get::<_, String>(0)?), r.get(1)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(StorageStats {
                devices,
                documents: c.query_row("SELECT count(*) FROM documents", [], |r| r.get(0))?,
                last_seq: c.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| {
                    r.get(0)
                })?,
            })
        })
        .await
    }
}

#[async_trait]
impl AccountStore for SqliteStorage {
    async fn create_account(&self, a: &DeviceAccount) -> StorageResult<()> {
        let a = a.clone();
        self.write(move |c| {
            c.execute(
                &format!("INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"),
                params![a.id, a.device_id, a.name, a.id_number, a.phone, a.token_hash,
                        a.status.as_str(), a.staff_id, a.reason, a.created_at, a.last_sync_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn account(&self, id: &str) -> StorageResult<Option<DeviceAccount>> {
        let id = id.to_owned();
        self.read(move |c| {
            one(
                c,
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"),
                [id],
                |r| rows::account(r),
            )
        })
        .await
    }

    async fn account_by_token(&self, token_hash: &str) -> StorageResult<Option<DeviceAccount>> {
        let h = token_hash.to_owned();
        self.read(move |c| {
            one(
                c,
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE token_hash = ?1"),
                [h],
                |r| rows::account(r),
            )
        })
        .await
    }

    async fn accounts(&self, status: Option<DeviceStatus>) -> StorageResult<Vec<DeviceAccount>> {
        let status = status.map(|s| s.as_str().to_owned());
        self.read(move |c| {
            all(
                c,
                &format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE ?1 IS NULL OR status = ?1
                     ORDER BY created_at, id"
                ),
                [status],
                |r| rows::account(r),
            )
        })
        .await
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
        let (id, staff_id, reason) = (
            id.to_owned(),
            staff_id.map(str::to_owned),
            reason.map(str::to_owned),
        );
        self.write(move |c| {
            let n = c.execute(
                "UPDATE accounts SET status = ?3, staff_id = coalesce(?4, staff_id),
                        reason = coalesce(?5, reason), decided_at = ?6
                 WHERE id = ?1 AND status = ?2",
                params![id, from.as_str(), to.as_str(), staff_id, reason, at],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn touch_account(&self, id: &str, at: i64) -> StorageResult<()> {
        let id = id.to_owned();
        self.write(move |c| {
            c.execute(
                "UPDATE accounts SET last_sync_at = ?2 WHERE id = ?1",
                params![id, at],
            )?;
            Ok(())
        })
        .await
    }

    async fn create_admin(&self, name: &str, token_hash: &str, at: i64) -> StorageResult<()> {
        let (n, h) = (name.to_owned(), token_hash.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO admins (token_hash, name, created_at) VALUES (?1, ?2, ?3)",
                params![h, n, at],
            )?;
            Ok(())
        })
        .await
    }

    async fn admin_by_token(&self, token_hash: &str) -> StorageResult<Option<String>> {
        let h = token_hash.to_owned();
        self.read(move |c| {
            Ok(
                c.query_row("SELECT name FROM admins WHERE token_hash = ?1", [h], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
        .await
    }

    async fn record_attempt(&self, keys: &[String], at: i64) -> StorageResult<()> {
        let keys = keys.to_vec();
        self.write(move |c| {
            let tx = c.transaction()?;
            for k in &keys {
                tx.execute(
                    "INSERT INTO attempts (key, at) VALUES (?1, ?2)",
                    params![k, at],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn attempts_since(&self, key: &str, since: i64) -> StorageResult<u64> {
        let key = key.to_owned();
        self.write(move |c| {
            c.execute("DELETE FROM attempts WHERE at < ?1 - 86400", [since])?;
            let n: i64 = c.query_row(
                "SELECT count(*) FROM attempts WHERE key = ?1 AND at >= ?2",
                params![key, since],
                |r| r.get(0),
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn clear_attempts(&self, key: &str) -> StorageResult<()> {
        let key = key.to_owned();
        self.write(move |c| {
            c.execute("DELETE FROM attempts WHERE key = ?1", [key])?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl ReferenceStore for SqliteStorage {
    async fn put_reference(&self, what: &str, version: u64, body: &str) -> StorageResult<()> {
        let (w, b) = (what.to_owned(), body.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO reference_data (what, version, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (what) DO UPDATE SET version = excluded.version, body = excluded.body",
                params![w, version as i64, b],
            )?;
            Ok(())
        })
        .await
    }

    async fn reference(&self, what: &str) -> StorageResult<Option<(u64, String)>> {
        let w = what.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT version, body FROM reference_data WHERE what = ?1",
                [w],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
            )
            .optional()?)
        })
        .await
    }

    async fn reference_versions(&self) -> StorageResult<Vec<(String, u64)>> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT what, version FROM reference_data ORDER BY what")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }
}

#[async_trait]
impl DocumentStore for SqliteStorage {
    async fn document(&self, doc_id: &str) -> StorageResult<Option<StoredDoc>> {
        let id = doc_id.to_owned();
        self.read(move |c| {
            one(
                c,
                &format!("SELECT {STORED_DOC_COLUMNS} FROM documents WHERE doc_id = ?1"),
                [id],
                |r| rows::stored_doc(r, 0),
            )
        })
        .await
    }

    async fn documents(&self, doc_ids: &[String]) -> StorageResult<HashMap<String, StoredDoc>> {
        let ids = grids_json(doc_ids);
        self.read(move |c| {
            let found = all(
                c,
                &format!(
                    "SELECT doc_id, {STORED_DOC_COLUMNS} FROM documents
                     WHERE doc_id IN (SELECT value FROM json_each(?1))"
                ),
                [ids],
                |r| Ok((r.col::<String>(0)?, rows::stored_doc(r, 1)?)),
            )?;
            Ok(found.into_iter().collect())
        })
        .await
    }

    async fn save_documents(&self, saves: &[DocumentSave<'_>]) -> StorageResult<Vec<SaveOutcome>> {
        let saves: Vec<OwnedSave> = saves.iter().map(OwnedSave::from).collect();
        self.write(move |c| {
            // One transaction, one fsync, for the whole batch.
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut outcomes = Vec::with_capacity(saves.len());
            for s in &saves {
                let current: Option<i64> = tx
                    .prepare_cached("SELECT version FROM documents WHERE doc_id = ?1")?
                    .query_row([&s.doc_id], |r| r.get(0))
                    .optional()?;
                if current != s.expected {
                    outcomes.push(SaveOutcome::Conflict);
                    continue;
                }
                tx.prepare_cached(
                    "INSERT INTO documents (doc_id, kind, grid_code, data, version, updated_at)
                     VALUES (?1, ?2, ?3, ?4, 1, ?5)
                     ON CONFLICT (doc_id) DO UPDATE SET grid_code = excluded.grid_code,
                        data = excluded.data, version = documents.version + 1,
                        updated_at = excluded.updated_at",
                )?
                .execute(params![s.doc_id, s.kind, s.grid, s.data, s.at])?;
                if !s.delta.is_empty() {
                    tx.prepare_cached(
                        "INSERT INTO changes (doc_id, kind, grid_code, bytes, origin)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![s.doc_id, s.kind, s.grid, s.delta, s.origin])?;
                }
                for hash in &s.photos {
                    tx.prepare_cached(
                        "INSERT OR IGNORE INTO blob_refs (hash, doc_id) VALUES (?1, ?2)",
                    )?
                    .execute(params![hash, s.doc_id])?;
                }
                outcomes.push(SaveOutcome::Saved);
            }
            tx.commit()?;
            Ok(outcomes)
        })
        .await
    }

    async fn changes_after(
        &self,
        seq: i64,
        upto: i64,
        grids: &[String],
        exclude_origin: &str,
        limit: u32,
    ) -> StorageResult<Vec<ChangeRow>> {
        let (grids, origin) = (grids_json(grids), exclude_origin.to_owned());
        self.read(move |c| {
            all(
                c,
                &format!(
                    "SELECT {CHANGE_COLUMNS} FROM changes
                     WHERE seq > ?1 AND seq <= ?2 AND origin <> ?4
                       AND grid_code IN (SELECT value FROM json_each(?3))
                     ORDER BY seq LIMIT ?5"
                ),
                params![seq, upto, grids, origin, limit],
                |r| rows::change_row(r),
            )
        })
        .await
    }

    async fn documents_page(
        &self,
        grids: &[String],
        after: &str,
        limit: u32,
    ) -> StorageResult<Vec<DocRow>> {
        let (grids, after) = (grids_json(grids), after.to_owned());
        self.read(move |c| {
            all(
                c,
                &format!(
                    "SELECT {DOC_ROW_COLUMNS} FROM documents
                     WHERE doc_id > ?2 AND grid_code IN (SELECT value FROM json_each(?1))
                     ORDER BY doc_id LIMIT ?3"
                ),
                params![grids, after, limit],
                |r| rows::doc_row(r),
            )
        })
        .await
    }

    async fn last_seq(&self) -> StorageResult<i64> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
    }

    async fn identity(&self) -> StorageResult<String> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT value FROM storage_identity WHERE id = 1", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
    }
}

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

#[async_trait]
impl WebSessionStore for SqliteStorage {
    async fn put_web_user(&self, user: &WebUser) -> StorageResult<()> {
        let u = user.clone();
        self.write(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO web_users (username, password_hash, role, staff_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![u.username, u.password_hash, u.role, u.staff_id, u.created_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn web_user(&self, username: &str) -> StorageResult<Option<WebUser>> {
        let n = username.to_owned();
        self.read(move |c| {
            one(
                c,
                &format!("SELECT {WEB_USER_COLUMNS} FROM web_users WHERE username = ?1"),
                params![n],
                |r| rows::web_user(r),
            )
        })
        .await
    }

    async fn create_web_session(&self, session: &WebSession) -> StorageResult<()> {
        let s = session.clone();
        self.write(move |c| {
            c.execute("DELETE FROM web_sessions WHERE expires_at < ?1", params![s.expires_at - 14 * 86_400])?;
            c.execute(
                "INSERT INTO web_sessions (id_hash, username, csrf, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![s.id_hash, s.username, s.csrf, s.expires_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn web_session(&self, id_hash: &str, now: i64) -> StorageResult<Option<WebSession>> {
        let h = id_hash.to_owned();
        self.read(move |c| {
            one(
                c,
                &format!(
                    "SELECT {WEB_SESSION_COLUMNS} FROM web_sessions
                     WHERE id_hash = ?1 AND expires_at > ?2"
                ),
                params![h, now],
                |r| rows::web_session(r),
            )
        })
        .await
    }

    async fn delete_web_session(&self, id_hash: &str) -> StorageResult<()> {
        let h = id_hash.to_owned();
        self.write(move |c| {
            c.execute("DELETE FROM web_sessions WHERE id_hash = ?1", params![h])?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl UploadStore for SqliteStorage {
    async fn photo_grids(&self, hash: &str) -> StorageResult<Vec<String>> {
        let hash = hash.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT d.grid_code FROM blob_refs r JOIN documents d ON d.doc_id = r.doc_id
                 WHERE r.hash = ?1",
            )?;
            let rows = stmt.query_map([hash], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn add_photo_refs(&self, doc_id: &str, hashes: &[String]) -> StorageResult<()> {
        let (doc_id, hashes) = (doc_id.to_owned(), hashes.to_vec());
        self.write(move |c| {
            let tx = c.transaction()?;
            for h in &hashes {
                tx.execute(
                    "INSERT OR IGNORE INTO blob_refs (hash, doc_id) VALUES (?1, ?2)",
                    params![h, doc_id],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn has_photo_refs(&self) -> StorageResult<bool> {
        self.read(|c| Ok(c.query_row("SELECT EXISTS (SELECT 1 FROM blob_refs)", [], |r| r.get(0))?))
            .await
    }

    async fn claim_upload(&self, hash: &str, device: &str, at: i64) -> StorageResult<String> {
        let (hash, device) = (hash.to_owned(), device.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO uploads (hash, device_id, started_at) VALUES (?1, ?2, ?3)",
                params![hash, device, at],
            )?;
            Ok(c.query_row(
                "SELECT device_id FROM uploads WHERE hash = ?1",
                [hash],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn end_upload(&self, hash: &str) -> StorageResult<()> {
        let hash = hash.to_owned();
        self.write(move |c| {
            c.execute("DELETE FROM uploads WHERE hash = ?1", [hash])?;
            Ok(())
        })
        .await
    }

    async fn stale_uploads(&self, before: i64) -> StorageResult<Vec<String>> {
        self.read(move |c| {
            let mut stmt = c.prepare("SELECT hash FROM uploads WHERE started_at < ?1")?;
            let rows = stmt.query_map([before], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }
}

#[async_trait]
impl NewsStore for SqliteStorage {
    async fn add_news(&self, items: &[NewsItem]) -> StorageResult<()> {
        if items.is_empty() {
            return Ok(());
        }
        let items = items.to_vec();
        self.write(move |c| {
            let tx = c.transaction()?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO news (target, incident_id, kind, at) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for n in &items {
                    stmt.execute(params![n.target, n.incident_id, n.kind, n.at])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn news_after(&self, targets: &[String], after: i64) -> StorageResult<(i64, u64)> {
        let targets = serde_json::to_string(targets).unwrap_or_else(|_| "[]".into());
        self.read(move |c| {
            let latest: i64 =
                c.query_row("SELECT COALESCE(MAX(seq), 0) FROM news", [], |r| r.get(0))?;
            let count: i64 = c
                .prepare_cached(
                    "SELECT COUNT(*) FROM news
                     WHERE target IN (SELECT value FROM json_each(?1)) AND seq > ?2",
                )?
                .query_row(params![targets, after], |r| r.get(0))?;
            Ok((latest, count as u64))
        })
        .await
    }

    async fn prune_news(&self, before: i64) -> StorageResult<u64> {
        self.write(move |c| Ok(c.execute("DELETE FROM news WHERE at < ?1", [before])? as u64))
            .await
    }
}

#[async_trait]
impl LiveStore for SqliteStorage {
    async fn put_position(&self, p: &LivePosition) -> StorageResult<()> {
        let p = p.clone();
        self.write(move |c| {
            c.execute(
                "INSERT INTO live_positions (staff_id, grid_code, lat_e6, lon_e6, accuracy_m, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (staff_id) DO UPDATE SET grid_code = excluded.grid_code,
                   lat_e6 = excluded.lat_e6, lon_e6 = excluded.lon_e6,
                   accuracy_m = excluded.accuracy_m, at = excluded.at
                 WHERE excluded.at >= live_positions.at",
                params![
                    p.staff_id,
                    p.grid_code,
                    p.lat_e6,
                    p.lon_e6,
                    p.accuracy_m,
                    p.at
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn live_positions(&self, since: i64) -> StorageResult<Vec<LivePosition>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT staff_id, grid_code, lat_e6, lon_e6, accuracy_m, at FROM live_positions
                 WHERE at >= ?1 ORDER BY staff_id",
            )?;
            let rows = stmt
                .query_map([since], |r| {
                    Ok(LivePosition {
                        staff_id: r.get(0)?,
                        grid_code: r.get(1)?,
                        lat_e6: r.get(2)?,
                        lon_e6: r.get(3)?,
                        accuracy_m: r.get(4)?,
                        at: r.get(5)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }
}

#[async_trait]
impl PointStore for SqliteStorage {
    async fn add_point_adjustment(&self, a: &PointAdjustment) -> StorageResult<()> {
        let a = a.clone();
        self.write(move |c| {
            c.execute(
                "INSERT INTO point_adjustments (staff_id, at, points, reason, by_user)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![a.staff, a.at, a.points, a.reason, a.by],
            )?;
            Ok(())
        })
        .await
    }

    async fn point_adjustments(
        &self,
        staff: &str,
        from: i64,
        to: i64,
    ) -> StorageResult<Vec<PointAdjustment>> {
        let staff = staff.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT staff_id, at, points, reason, by_user FROM point_adjustments
                 WHERE staff_id = ?1 AND at >= ?2 AND at < ?3 ORDER BY id",
            )?;
            let rows = stmt
                .query_map(params![staff, from, to], |r| {
                    Ok(PointAdjustment {
                        staff: r.get(0)?,
                        at: r.get(1)?,
                        points: r.get(2)?,
                        reason: r.get(3)?,
                        by: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }
}

#[async_trait]
impl IntakeStore for SqliteStorage {
    async fn create_intake_key(&self, name: &str, token_hash: &str, at: i64) -> StorageResult<()> {
        let (n, h) = (name.to_owned(), token_hash.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO intake_keys (token_hash, name, created_at) VALUES (?1, ?2, ?3)",
                params![h, n, at],
            )?;
            Ok(())
        })
        .await
    }

    async fn intake_key_by_token(&self, token_hash: &str) -> StorageResult<Option<String>> {
        let h = token_hash.to_owned();
        self.read(move |c| {
            one(
                c,
                "SELECT name FROM intake_keys WHERE token_hash = ?1 AND revoked_at IS NULL",
                [h],
                |r| Ok(r.get(0)?),
            )
        })
        .await
    }

    async fn revoke_intake_key(&self, name: &str, at: i64) -> StorageResult<bool> {
        let n = name.to_owned();
        self.write(move |c| {
            Ok(c.execute(
                "UPDATE intake_keys SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
                params![n, at],
            )? > 0)
        })
        .await
    }

    async fn claim_intake_ref(
        &self,
        reference: &str,
        incident_id: &str,
        at: i64,
    ) -> StorageResult<String> {
        let (r, i) = (reference.to_owned(), incident_id.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO intake_refs (ref, incident_id, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (ref) DO NOTHING",
                params![r, i, at],
            )?;
            Ok(c.query_row(
                "SELECT incident_id FROM intake_refs WHERE ref = ?1",
                [r],
                |row| row.get(0),
            )?)
        })
        .await
    }

    async fn intake_ref(&self, reference: &str) -> StorageResult<Option<String>> {
        let r = reference.to_owned();
        self.read(move |c| {
            one(
                c,
                "SELECT incident_id FROM intake_refs WHERE ref = ?1",
                [r],
                |row| Ok(row.get(0)?),
            )
        })
        .await
    }

    async fn drop_intake_ref(&self, reference: &str) -> StorageResult<()> {
        let r = reference.to_owned();
        self.write(move |c| {
            c.execute("DELETE FROM intake_refs WHERE ref = ?1", [r])?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl KnowledgeStore for SqliteStorage {
    async fn knowledge_version(&self) -> StorageResult<u64> {
        self.read(|c| {
            let v: i64 = c.query_row(
                "SELECT coalesce(max(version), 0) FROM knowledge_versions",
                [],
                |r| r.get(0),
            )?;
            Ok(v as u64)
        })
        .await
    }

    async fn knowledge_changes(
        &self,
        since: u64,
        to: u64,
        after: Option<(String, String)>,
        limit: u32,
    ) -> StorageResult<Vec<super::KnowledgeRow>> {
        self.read(move |c| {
            let (kind, id) = after.unwrap_or_default();
            all(
                c,
                &rows::knowledge_changes_sql('?'),
                params![since as i64, to as i64, kind, id, limit],
                |r| rows::knowledge_row(r),
            )
        })
        .await
    }

    async fn knowledge_change_count(&self, since: u64, to: u64) -> StorageResult<u64> {
        self.read(move |c| {
            let n: i64 = c.query_row(
                "SELECT count(*) FROM (SELECT DISTINCT kind, id FROM knowledge_revisions
                 WHERE version > ?1 AND version <= ?2)",
                params![since as i64, to as i64],
                |r| r.get(0),
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn knowledge_latest(&self) -> StorageResult<Vec<super::KnowledgeRow>> {
        self.read(|c| {
            all(c, rows::KNOWLEDGE_LATEST_SQL, [], |r| {
                rows::knowledge_row(r)
            })
        })
        .await
    }

    async fn knowledge_history(
        &self,
        kind: &str,
        id: &str,
    ) -> StorageResult<Vec<super::KnowledgeRow>> {
        let (kind, id) = (kind.to_owned(), id.to_owned());
        self.read(move |c| {
            all(
                c,
                &format!(
                    "SELECT {} FROM knowledge_revisions WHERE kind = ?1 AND id = ?2
                 ORDER BY version DESC",
                    rows::KNOWLEDGE_COLUMNS
                ),
                params![kind, id],
                |r| rows::knowledge_row(r),
            )
        })
        .await
    }

    async fn knowledge_drafts(&self) -> StorageResult<Vec<super::KnowledgeRow>> {
        self.read(|c| {
            all(
                c,
                "SELECT kind, id, 0, item, author, at FROM knowledge_drafts ORDER BY kind, id",
                [],
                |r| rows::knowledge_row(r),
            )
        })
        .await
    }

    async fn put_knowledge_drafts(&self, drafts: &[super::KnowledgeRow]) -> StorageResult<()> {
        let drafts = drafts.to_vec();
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT OR REPLACE INTO knowledge_drafts (kind, id, item, author, at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for d in &drafts {
                    stmt.execute(params![d.kind, d.id, d.item, d.author, d.at])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn discard_knowledge_drafts(&self, item: Option<(&str, &str)>) -> StorageResult<u64> {
        let item = item.map(|(k, i)| (k.to_owned(), i.to_owned()));
        self.write(move |c| {
            let n = match item {
                Some((kind, id)) => c.execute(
                    "DELETE FROM knowledge_drafts WHERE kind = ?1 AND id = ?2",
                    params![kind, id],
                )?,
                None => c.execute("DELETE FROM knowledge_drafts", [])?,
            };
            Ok(n as u64)
        })
        .await
    }

    async fn publish_knowledge(
        &self,
        expected: u64,
        author: &str,
        at: i64,
    ) -> StorageResult<Option<u64>> {
        let author = author.to_owned();
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let current: i64 = tx.query_row(
                "SELECT coalesce(max(version), 0) FROM knowledge_versions",
                [],
                |r| r.get(0),
            )?;
            if current as u64 != expected {
                return Err(StorageError::Conflict(format!(
                    "version {current} was published meanwhile"
                )));
            }
            let drafts: i64 =
                tx.query_row("SELECT count(*) FROM knowledge_drafts", [], |r| r.get(0))?;
            if drafts == 0 {
                return Ok(None);
            }
            let version = current + 1;
            tx.execute(
                "INSERT INTO knowledge_revisions (kind, id, version, item, author, at)
                 SELECT kind, id, ?1, item, author, at FROM knowledge_drafts",
                [version],
            )?;
            tx.execute(
                "INSERT INTO knowledge_versions (version, author, at, changed)
                 VALUES (?1, ?2, ?3, ?4)",
                params![version, author, at, drafts],
            )?;
            tx.execute("DELETE FROM knowledge_drafts", [])?;
            tx.execute(
                "INSERT INTO reference_data (what, version, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (what) DO UPDATE SET version = excluded.version, body = excluded.body",
                params![
                    fieldgrid_core::knowledge::KNOWLEDGE,
                    version,
                    format!("{{\"version\":{version}}}")
                ],
            )?;
            tx.commit()?;
            Ok(Some(version as u64))
        })
        .await
    }

    async fn knowledge_versions(&self) -> StorageResult<Vec<super::KnowledgeVersion>> {
        self.read(|c| {
            all(
                c,
                "SELECT version, author, at, changed FROM knowledge_versions ORDER BY version DESC",
                [],
                |r| rows::knowledge_version(r),
            )
        })
        .await
    }
}

/// The lead of the one SQLite instance.
struct SoleLease;

#[async_trait]
impl super::JobLease for SoleLease {
    async fn release(self: Box<Self>) {}
}

#[async_trait]
impl JobStore for SqliteStorage {
    async fn try_lead(&self, _job: &str) -> StorageResult<Option<Box<dyn super::JobLease>>> {
        Ok(Some(Box::new(SoleLease)))
    }
}
