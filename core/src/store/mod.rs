//! [`FieldStore`]: the handle the app holds on its offline database.
//!
//! Every operation on the phone's store is a method of [`FieldStore`], and every
//! method lives in this folder, in the file named for its domain:
//!
//! | file | what it does |
//! |---|---|
//! | `mod.rs` | opening, signing in, settings, search |
//! | `records.rs` | any record: create, read, update, history, conflicts, change exchange |
//! | `org.rs` | the org tree: import, roles, grids |
//! | `forms.rs` | the form pack in force |
//! | `households.rs` | households and persons through their forms |
//! | `household_lists.rs` | lists and exact lookups of households and persons |
//! | `visits.rs` | home visits |
//! | `door_plates.rs` | QR door plates |
//! | `patrols.rs` | patrol sessions, GPS fixes, tracks, GPX import |
//! | `photos.rs` | photos: adding, attaching, upload bookkeeping, clean-up |
//! | `incidents.rs` | incident steps, the catalogue, the work queue |
//! | `knowledge.rs` | the knowledge base: downloads applied whole, search, browsing, guidance, grid tasks |
//! | `sync.rs` | the sync bookkeeping the client drives |
//! | `follow.rs` | a store kept as a server's read model: pages of its sequence, the position followed |
//!
//! The domain folders (`household/`, `patrol/`...) hold the rules these methods
//! apply and the types they take and return; the `index` module holds the query
//! tables they read. None of those calls back up into the store.

mod assessment;
mod door_plates;
pub(crate) mod follow;
mod forms;
mod household_lists;
mod households;
mod incident_tasks;
mod incidents;
mod knowledge;
mod org;
mod patrols;
mod photos;
mod pull;
mod records;
pub(crate) mod sync;
mod visits;

pub use follow::Followed;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::db;
use crate::error::{Error, Result};

/// The phone's offline store: one SQLite file holding record documents, reference
/// data and the indexes derived from them.
///
/// Every write is one SQLite transaction, committed durably before the call returns.
/// The handle is `Send + Sync`; calls from several threads are serialised.
///
/// Its methods, by domain (each group is one file of `core/src/store/`):
/// - the store itself: [`open`](Self::open), [`sign_in`](Self::sign_in),
///   [`settings`](Self::settings), [`search`](Self::search) (`mod.rs`);
/// - any record: [`create`](Self::create), [`get`](Self::get),
///   [`update`](Self::update), [`field_history`](Self::field_history),
///   [`conflicts`](Self::conflicts), [`changes_since`](Self::changes_since),
///   [`apply_changes`](Self::apply_changes) (`records.rs`);
/// - the org tree: [`import_org_tree`](Self::import_org_tree),
///   [`grids_of`](Self::grids_of) (`org.rs`); the form pack:
///   [`form_pack`](Self::form_pack) (`forms.rs`);
/// - households and persons: [`new_household`](Self::new_household),
///   [`save_fields`](Self::save_fields) (`households.rs`),
///   [`list_households`](Self::list_households) (`household_lists.rs`),
///   [`record_visit`](Self::record_visit) (`visits.rs`),
///   [`resolve_door_plate`](Self::resolve_door_plate) (`door_plates.rs`);
/// - patrols: [`start_patrol`](Self::start_patrol),
///   [`ingest_fixes`](Self::ingest_fixes), [`import_gpx`](Self::import_gpx)
///   (`patrols.rs`); photos: [`add_photo`](Self::add_photo),
///   [`attach_photo`](Self::attach_photo) (`photos.rs`);
/// - incidents: [`incident_step`](Self::incident_step),
///   [`incident_queue`](Self::incident_queue) (`incidents.rs`); the knowledge
///   base: [`search_knowledge`](Self::search_knowledge),
///   [`take_knowledge_page`](Self::take_knowledge_page) (`knowledge.rs`); sync bookkeeping:
///   [`sync_status`](Self::sync_status) (`sync.rs`).
pub struct FieldStore {
    conn: Mutex<Connection>,
    path: PathBuf,
    /// Encrypts photo files when the store was opened with a key.
    media_cipher: Option<crate::media::MediaCipher>,
    device_id: [u8; 16],
    user: Mutex<Option<String>>,
}

impl std::fmt::Debug for FieldStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldStore")
            .field("path", &self.path)
            .field("device_id", &self.device_id())
            .finish_non_exhaustive()
    }
}

impl FieldStore {
    /// Finds records whose names, addresses, door plates or notes contain every
    /// word of `query`, best matches first. A query with nothing searchable finds
    /// nothing.
    pub fn search(
        &self,
        query: &str,
        filter: &crate::SearchFilter,
        limit: usize,
    ) -> Result<Vec<crate::SearchHit>> {
        crate::index::search::search(&self.conn(), query, filter, limit)
    }

    /// Opens the store at `path`, creating it if the file does not exist and
    /// upgrading its schema if it is older.
    ///
    /// Fails with [`Error::DatabaseTooNew`] for a file written by a newer app and
    /// [`Error::Corrupt`] for a damaged file or one that is not a Fieldgrid store; in
    /// both cases the file is left as it was.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_inner(path.as_ref(), None)
    }

    /// Opens (or creates) the store encrypted at rest with `key`, a secret of at
    /// least 16 bytes the app keeps in the Android Keystore or iOS Keychain. The
    /// database is encrypted by SQLCipher and photo files with ChaCha20-Poly1305,
    /// both under keys derived from it.
    ///
    /// Fails with [`Error::WrongKey`] when the key does not open the file (another
    /// key, or a store created without one) and [`Error::EncryptionUnavailable`] in a
    /// build without SQLCipher; the file is left as it was.
    pub fn open_encrypted(path: impl AsRef<Path>, key: &[u8]) -> Result<Self> {
        Self::open_inner(path.as_ref(), Some(key))
    }

    fn open_inner(path: &Path, key: Option<&[u8]>) -> Result<Self> {
        let path = path.to_owned();
        let conn = db::open(&path, key, crate::schema::MIGRATIONS)?;
        let device_id = device_id(&conn)?;
        Ok(FieldStore {
            conn: Mutex::new(conn),
            media_cipher: key.map(crate::media::MediaCipher::new),
            path,
            device_id,
            user: Mutex::new(None),
        })
    }

    /// Where the database file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This device's id (hex), random and fixed at the store's creation.
    pub fn device_id(&self) -> String {
        hex::encode(self.device_id)
    }

    /// Makes `user_id` the author of every following write on this store.
    pub fn sign_in(&self, user_id: &str) {
        *lock(&self.user) = Some(user_id.to_owned());
    }

    /// Ends the session: writes fail with [`Error::NotSignedIn`] until the next sign-in.
    pub fn sign_out(&self) {
        *lock(&self.user) = None;
    }

    /// The signed-in user, if any.
    pub fn current_user(&self) -> Option<String> {
        lock(&self.user).clone()
    }

    /// Runs SQLite's full integrity check; returns the problems found (empty if sound).
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        db::integrity_problems(&self.conn())
    }

    /// The SQLite settings in force on the store's connection, for a diagnostics
    /// screen and for tests.
    pub fn settings(&self) -> Result<StoreSettings> {
        let conn = self.conn();
        let get = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0));
        let int = |v: rusqlite::types::Value| match v {
            rusqlite::types::Value::Integer(i) => i,
            _ => -1,
        };
        Ok(StoreSettings {
            journal_mode: match get("PRAGMA journal_mode")? {
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            },
            synchronous: int(get("PRAGMA synchronous")?),
            foreign_keys: int(get("PRAGMA foreign_keys")?) == 1,
            busy_timeout_ms: int(get("PRAGMA busy_timeout")?),
            schema_version: int(get("PRAGMA user_version")?),
        })
    }

    /// Whether the store is encrypted at rest.
    pub fn is_encrypted(&self) -> bool {
        self.media_cipher.is_some()
    }

    pub(crate) fn media_cipher(&self) -> Option<&crate::media::MediaCipher> {
        self.media_cipher.as_ref()
    }

    pub(crate) fn raw_device_id(&self) -> &[u8; 16] {
        &self.device_id
    }

    pub(crate) fn signed_in_user(&self) -> Result<String> {
        self.current_user().ok_or(Error::NotSignedIn)
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        lock(&self.conn)
    }

    /// Runs `f` in an IMMEDIATE transaction and commits if it succeeds. Work inside
    /// must read what it changes through the transaction, so that two handles on the
    /// same file never build on a stale state.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db::classify(&self.path, e))?;
        let out = f(&tx)?;
        tx.commit().map_err(|e| db::classify(&self.path, e))?;
        Ok(out)
    }
}

/// SQLite settings of an open store (see [`FieldStore::settings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    /// `wal` for a store.
    pub journal_mode: String,
    /// 2 (`FULL`): every commit is on disk before the call returns.
    pub synchronous: i64,
    /// Whether foreign keys are enforced.
    pub foreign_keys: bool,
    /// How long a write waits for a lock held by another connection.
    pub busy_timeout_ms: i64,
    /// The schema version (`PRAGMA user_version`).
    pub schema_version: i64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic in another thread cannot leave SQLite half-written (the transaction
    // rolls back), so the data behind a poisoned lock is still sound.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn device_id(conn: &Connection) -> Result<[u8; 16]> {
    let stored: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'device_id'", [], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(id) = stored.and_then(|s| hex::decode(s).ok())
        && let Ok(bytes) = <[u8; 16]>::try_from(id.as_slice())
    {
        return Ok(bytes);
    }
    let bytes = *uuid::Uuid::new_v4().as_bytes();
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('device_id', ?1)",
        [hex::encode(bytes)],
    )?;
    Ok(bytes)
}
