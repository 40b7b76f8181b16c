//! The embedded SQLite backend: one file, one writer connection, a few readers.

mod accounts;
mod documents;
mod intake;
mod jobs;
mod knowledge;
mod live;
mod news;
mod points;
mod reference;
mod tracks;
mod uploads;
mod web_sessions;

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
    self, ACCOUNT_COLUMNS, CHANGE_COLUMNS, DOC_ROW_COLUMNS, RECORD_EDIT_COLUMNS, RowRead,
    STORED_DOC_COLUMNS, WEB_SESSION_COLUMNS, WEB_USER_COLUMNS,
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
    edits: Vec<(String, i64)>,
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
            edits: s.edit_days(),
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
