//! Where the server keeps accounts, documents, their change sequence and reference
//! data: a trait with an embedded SQLite backend (a town on one machine) and a
//! PostgreSQL backend (a county on several stateless instances).
//!
//! The change sequence is the heart of sync: every stored change gets the next
//! number, and numbers become visible in order (a reader never sees 101 before
//! 100), so a phone's cursor can be "the last number I have".

mod migrations;
mod postgres;
mod rows;
mod sqlite;

use std::collections::HashMap;

use async_trait::async_trait;
use fieldgrid_core::MergeOutcome;
use fieldgrid_core::records::RecordKind;
use serde::Serialize;

pub use postgres::PostgresStorage;
pub use sqlite::SqliteStorage;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No PostgreSQL connection could be had.
    #[error("postgres pool: {0}")]
    Pool(String),
    /// Someone else changed it first (a publish raced another); nothing was changed.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The schema is newer than this server.
    #[error(
        "the database schema version {0} is newer than this server supports; update the server"
    )]
    TooNew(i64),
    /// Something else.
    #[error("{0}")]
    Other(String),
}

/// Storage result.
pub type StorageResult<T> = Result<T, StorageError>;

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// Waiting for an administrator.
    Pending,
    /// Approved: may sync.
    Approved,
    /// Refused.
    Rejected,
    /// Approved once, now revoked: must wipe.
    Revoked,
}

impl DeviceStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Pending => "pending",
            DeviceStatus::Approved => "approved",
            DeviceStatus::Rejected => "rejected",
            DeviceStatus::Revoked => "revoked",
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "approved" => DeviceStatus::Approved,
            "rejected" => DeviceStatus::Rejected,
            "revoked" => DeviceStatus::Revoked,
            _ => DeviceStatus::Pending,
        }
    }
}

/// A person's registration on a device (the device's account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceAccount {
    /// The registration id.
    pub id: String,
    /// The phone's device id.
    pub device_id: String,
    /// The person's name.
    pub name: String,
    /// ID-card number. Personal data: shown masked, never logged.
    #[serde(skip)]
    pub id_number: String,
    /// Mobile number. Personal data: shown masked, never logged.
    #[serde(skip)]
    pub phone: String,
    /// BLAKE3 of the device's token.
    #[serde(skip)]
    pub token_hash: String,
    /// Where it stands.
    pub status: DeviceStatus,
    /// The person in the org tree, once approved.
    pub staff_id: Option<String>,
    /// Why it was rejected or revoked.
    pub reason: Option<String>,
    /// When registered (unix seconds).
    pub created_at: i64,
    /// When last synced.
    pub last_sync_at: Option<i64>,
}

/// A stored document.
#[derive(Debug, Clone)]
pub struct StoredDoc {
    /// Its kind.
    pub kind: RecordKind,
    /// Its grid.
    pub grid_code: String,
    /// The compacted document.
    pub data: Vec<u8>,
    /// Increases with every save; guards concurrent merges.
    pub version: i64,
}

/// A stored change in the sequence.
#[derive(Debug, Clone)]
pub struct ChangeRow {
    /// Its place in the sequence.
    pub seq: i64,
    /// The record id.
    pub doc_id: String,
    /// The record kind.
    pub kind: RecordKind,
    /// The changes of one save (or the whole document, for a new record or one that
    /// moved grids).
    pub bytes: Vec<u8>,
}

/// A document as sent in a first sync.
#[derive(Debug, Clone)]
pub struct DocRow {
    /// The record id.
    pub doc_id: String,
    /// The record kind.
    pub kind: RecordKind,
    /// The compacted document.
    pub data: Vec<u8>,
}

/// What saving a merged document did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    /// Stored.
    Saved,
    /// Someone saved the document in between: merge again on the new version.
    Conflict,
}

/// A document save: the merge result and who pushed it.
pub struct DocumentSave<'a> {
    /// The record id.
    pub doc_id: &'a str,
    /// The record kind.
    pub kind: RecordKind,
    /// The version merged onto (`None` for a new record).
    pub expected_version: Option<i64>,
    /// The grid the record had before (`None` for a new record).
    pub previous_grid: Option<&'a str>,
    /// The merge.
    pub merged: &'a MergeOutcome,
    /// The device that pushed it (its own pulls skip these changes).
    pub origin_device: &'a str,
    /// When (unix seconds).
    pub at: i64,
}

impl DocumentSave<'_> {
    /// The photos the save newly names.
    pub(crate) fn new_photos(&self) -> impl Iterator<Item = &str> {
        self.merged.new_references.iter().filter_map(|r| match r {
            fieldgrid_core::records::Reference::Photo(h) => Some(h.as_str()),
            fieldgrid_core::records::Reference::Record(_) => None,
        })
    }

    /// Who made the save's new changes on which day, each `(staff id, China day
    /// start)` once, for a household or person record (none for other kinds).
    pub(crate) fn edit_days(&self) -> Vec<(String, i64)> {
        if !matches!(self.kind, RecordKind::Household | RecordKind::Person) {
            return Vec::new();
        }
        let mut out: Vec<(String, i64)> = self
            .merged
            .authors
            .iter()
            .filter_map(|a| {
                let user = a.user.clone()?;
                Some((user, fieldgrid_core::time::day_start_at(a.at)))
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The bytes to append to the change sequence: the new changes, or the whole
    /// document when the record moved to another grid (readers of the new grid may
    /// never have seen it).
    pub(crate) fn sequence_bytes(&self) -> &[u8] {
        let moved = self
            .previous_grid
            .is_some_and(|g| g != self.merged.grid_code);
        if moved {
            &self.merged.document
        } else {
            &self.merged.delta
        }
    }
}

/// A sealed GPS track chunk as the server keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackChunk {
    /// The patrol (its log's record id).
    pub patrol: String,
    /// The chunk's number in the patrol.
    pub chunk: u64,
    /// Who walked it.
    pub worker_id: String,
    /// The patrolled grid.
    pub grid_code: String,
    /// The local day (China time, `YYYY-MM-DD`) of its first fix.
    pub day: String,
    /// The number of its first fix.
    pub first_seq: u64,
    /// How many fixes.
    pub fixes: u64,
    /// First fix time, unix ms.
    pub first_ms: i64,
    /// Last fix time, unix ms.
    pub last_ms: i64,
    /// The encoded chunk.
    pub bytes: Vec<u8>,
    /// BLAKE3 of `bytes` (hex).
    pub hash: String,
    /// When it arrived, unix seconds.
    pub received_at: i64,
    /// Fixes the phone refused so far because its clock went backwards.
    pub clock_backwards: u64,
    /// How far fix times ran ahead of the phone's clock so far, ms.
    pub clock_skew_ms: i64,
}

/// What storing a chunk did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkOutcome {
    /// Stored now.
    Stored,
    /// The same chunk was stored before (a retry).
    AlreadyStored,
    /// A different chunk is stored under this patrol and number.
    Conflict,
}

/// Counts for the metrics page.
#[derive(Debug, Clone, Default)]
pub struct StorageStats {
    /// Accounts per status.
    pub devices: Vec<(DeviceStatus, i64)>,
    /// Stored documents.
    pub documents: i64,
    /// The last sequence number.
    pub last_seq: i64,
}

/// An account of the supervisors' web pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUser {
    /// Login name.
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// `supervisor` or `admin`.
    pub role: String,
    /// The org-tree person whose scope the pages show.
    pub staff_id: String,
    /// When created (unix seconds).
    pub created_at: i64,
}

/// A browser session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    /// BLAKE3 of the cookie value.
    pub id_hash: String,
    /// Whose.
    pub username: String,
    /// The token forms and scripts send back with every action.
    pub csrf: String,
    /// Expiry (unix seconds).
    pub expires_at: i64,
}

/// Everything the server stores, one trait per concern (accounts, reference
/// data, documents and the change sequence, tracks, web sessions, uploads), each
/// implemented by both backends side by side in `sqlite.rs` and `postgres.rs`.
/// Both pass the same suite (`tests/tests/e2e/storage_suite.rs`), one test per case
/// per backend. Callers hold an `Arc<dyn Storage>`.
#[async_trait]
pub trait Storage:
    AccountStore
    + ReferenceStore
    + DocumentStore
    + TrackStore
    + WebSessionStore
    + UploadStore
    + IntakeStore
    + NewsStore
    + PointStore
    + LiveStore
    + KnowledgeStore
    + JobStore
    + Send
    + Sync
    + 'static
{
    /// Which backend, for logs.
    fn backend(&self) -> &'static str;
    /// Counts for metrics.
    async fn stats(&self) -> StorageResult<StorageStats>;
}

/// Device registrations and accounts, administrators, and sign-in attempts (throttling).
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Stores a new registration.
    async fn create_account(&self, account: &DeviceAccount) -> StorageResult<()>;
    /// A registration by id.
    async fn account(&self, id: &str) -> StorageResult<Option<DeviceAccount>>;
    /// A registration by the hash of its token.
    async fn account_by_token(&self, token_hash: &str) -> StorageResult<Option<DeviceAccount>>;
    /// Registrations, optionally of one status, oldest first.
    async fn accounts(&self, status: Option<DeviceStatus>) -> StorageResult<Vec<DeviceAccount>>;
    /// Changes a registration's status (and staff id or reason). Returns whether it
    /// existed in the `from` status.
    async fn set_account_status(
        &self,
        id: &str,
        from: DeviceStatus,
        to: DeviceStatus,
        staff_id: Option<&str>,
        reason: Option<&str>,
        at: i64,
    ) -> StorageResult<bool>;
    /// Notes a device's sync.
    async fn touch_account(&self, id: &str, at: i64) -> StorageResult<()>;

    /// Stores an administrator's token hash.
    async fn create_admin(&self, name: &str, token_hash: &str, at: i64) -> StorageResult<()>;
    /// The administrator with this token hash.
    async fn admin_by_token(&self, token_hash: &str) -> StorageResult<Option<String>>;

    /// Notes an attempt under each of `keys` (failed logins, registrations).
    async fn record_attempt(&self, keys: &[String], at: i64) -> StorageResult<()>;
    /// Attempts under `key` since `since`; attempts of any key older than a day
    /// before `since` are dropped.
    async fn attempts_since(&self, key: &str, since: i64) -> StorageResult<u64>;
    /// Forgets the attempts under `key` (a successful login).
    async fn clear_attempts(&self, key: &str) -> StorageResult<()>;
}

/// Versioned reference data (org tree, catalogue, form pack).
#[async_trait]
pub trait ReferenceStore: Send + Sync {
    /// Stores a version of reference data.
    async fn put_reference(&self, what: &str, version: u64, body: &str) -> StorageResult<()>;
    /// The newest version of reference data.
    async fn reference(&self, what: &str) -> StorageResult<Option<(u64, String)>>;
    /// Every kind of reference data and its version.
    async fn reference_versions(&self) -> StorageResult<Vec<(String, u64)>>;
}

/// Record documents and the change sequence phones' cursors follow.
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// A stored document.
    async fn document(&self, doc_id: &str) -> StorageResult<Option<StoredDoc>>;
    /// Stored documents by id (missing ids are left out), in one query.
    async fn documents(&self, doc_ids: &[String]) -> StorageResult<HashMap<String, StoredDoc>>;
    /// Saves merged documents in one transaction: each whose stored version is still
    /// its `expected_version` is stored and appends its delta to the change sequence
    /// as one row; the others come back as [`SaveOutcome::Conflict`], in order.
    async fn save_documents(&self, saves: &[DocumentSave<'_>]) -> StorageResult<Vec<SaveOutcome>>;
    /// [`Storage::save_documents`] for one document.
    async fn save_document(&self, save: &DocumentSave<'_>) -> StorageResult<SaveOutcome> {
        let mut outcomes = self.save_documents(std::slice::from_ref(save)).await?;
        Ok(outcomes.pop().unwrap_or(SaveOutcome::Conflict))
    }
    /// Sequence rows after `seq`, up to `upto`, of `grids`, not pushed by
    /// `exclude_origin`, at most `limit`, in order.
    async fn changes_after(
        &self,
        seq: i64,
        upto: i64,
        grids: &[String],
        exclude_origin: &str,
        limit: u32,
    ) -> StorageResult<Vec<ChangeRow>>;
    /// Documents of `grids` with ids after `after`, in id order, at most `limit`.
    async fn documents_page(
        &self,
        grids: &[String],
        after: &str,
        limit: u32,
    ) -> StorageResult<Vec<DocRow>>;
    /// The last sequence number (0 when empty).
    async fn last_seq(&self) -> StorageResult<i64>;
    /// The database's identity, made once when it was created: what follows its
    /// sequence elsewhere (a read model) can tell it from another database.
    async fn identity(&self) -> StorageResult<String>;
    /// Who changed which household and person records on the days in
    /// `[from, to)` (unix seconds; a day counts when it starts in the range), each
    /// record and author once, kept as changes were accepted.
    async fn record_edits(
        &self,
        from: i64,
        to: i64,
    ) -> StorageResult<Vec<fieldgrid_core::assessment::RecordEdit>>;
    /// Notes edits of a record stored before edits were kept: `(staff id, China
    /// day start)` pairs (the one-time backfill).
    async fn note_record_edits(
        &self,
        doc_id: &str,
        kind: RecordKind,
        grid_code: &str,
        edits: &[(String, i64)],
    ) -> StorageResult<()>;
}

/// GPS track chunks and the patrols they make up.
#[async_trait]
pub trait TrackStore: Send + Sync {
    /// Every patrol with fixes in `[from_ms, to_ms)`: `(patrol, worker, grid,
    /// chunks received)`, from the chunks' metadata alone.
    async fn patrol_chunk_counts(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> StorageResult<Vec<(String, String, String, i64)>>;
    /// The kept briefs of `patrols`, each with the chunk count it was computed at.
    async fn patrol_briefs(
        &self,
        patrols: &[String],
    ) -> StorageResult<HashMap<String, (i64, fieldgrid_core::assessment::PatrolBrief)>>;
    /// Keeps a patrol's brief, computed from `chunks` chunks.
    async fn put_patrol_brief(
        &self,
        brief: &fieldgrid_core::assessment::PatrolBrief,
        chunks: i64,
    ) -> StorageResult<()>;
    /// Stores a track chunk, idempotently by patrol and chunk number.
    async fn put_track_chunk(&self, chunk: &TrackChunk) -> StorageResult<ChunkOutcome>;
    /// A patrol's chunks, in order.
    async fn track_chunks(&self, patrol: &str) -> StorageResult<Vec<Vec<u8>>>;
    /// The largest clock findings the phone sent with the patrol's chunks:
    /// `(clock_backwards, clock_skew_ms)`.
    async fn patrol_clock(&self, patrol: &str) -> StorageResult<(u64, i64)>;
    /// A worker's patrols that started in `[from_ms, before_ms)`, latest first, at
    /// most `limit`.
    async fn worker_patrols_between(
        &self,
        worker_id: &str,
        from_ms: i64,
        before_ms: i64,
        limit: u32,
    ) -> StorageResult<Vec<String>>;
    /// The patrols a worker has track chunks of on a day, in time order.
    async fn worker_day_patrols(&self, worker_id: &str, day: &str) -> StorageResult<Vec<String>>;
    /// Every patrol with fixes in `[from_ms, to_ms)`, with its worker, in time order
    /// (a patrol across midnight belongs to both days).
    async fn patrols_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> StorageResult<Vec<(String, String)>>;
}

/// The pages' users and sessions.
#[async_trait]
pub trait WebSessionStore: Send + Sync {
    /// Creates or replaces a web-page account.
    async fn put_web_user(&self, user: &WebUser) -> StorageResult<()>;
    /// A web-page account by name.
    async fn web_user(&self, username: &str) -> StorageResult<Option<WebUser>>;
    /// Stores a browser session.
    async fn create_web_session(&self, session: &WebSession) -> StorageResult<()>;
    /// A session by the hash of its cookie, if not expired at `now`.
    async fn web_session(&self, id_hash: &str, now: i64) -> StorageResult<Option<WebSession>>;
    /// Ends a session.
    async fn delete_web_session(&self, id_hash: &str) -> StorageResult<()>;
}

/// Photos: who may see them (by the records that refer to them) and unfinished uploads.
#[async_trait]
pub trait UploadStore: Send + Sync {
    /// The grids of the stored records that name photo `hash`.
    async fn photo_grids(&self, hash: &str) -> StorageResult<Vec<String>>;
    /// Notes that record `doc_id` names each photo of `hashes` (kept up by
    /// `save_documents`; this fills it for records stored before it was kept).
    async fn add_photo_refs(&self, doc_id: &str, hashes: &[String]) -> StorageResult<()>;
    /// Whether any record's photos are noted.
    async fn has_photo_refs(&self) -> StorageResult<bool>;

    /// Starts an upload of `hash` for `device` unless one is under way: answers the
    /// device that owns the upload (the one given, or the earlier one).
    async fn claim_upload(&self, hash: &str, device: &str, at: i64) -> StorageResult<String>;
    /// Forgets the upload of `hash` (finished, or removed).
    async fn end_upload(&self, hash: &str) -> StorageResult<()>;
    /// Uploads started before `before` (unix seconds).
    async fn stale_uploads(&self, before: i64) -> StorageResult<Vec<String>>;
}

/// Intake from outside the phones: hotline API keys and the references (ticket
/// ids, receipt codes) that name the incident each intake created.
#[async_trait]
pub trait IntakeStore: Send + Sync {
    /// Stores a new API key (its hash) named `name`.
    async fn create_intake_key(&self, name: &str, token_hash: &str, at: i64) -> StorageResult<()>;
    /// The name of the key with this hash, unless revoked.
    async fn intake_key_by_token(&self, token_hash: &str) -> StorageResult<Option<String>>;
    /// Revokes key `name`; `false` when there is no such key in force.
    async fn revoke_intake_key(&self, name: &str, at: i64) -> StorageResult<bool>;
    /// Ties `reference` to `incident_id` unless it is tied already: answers the
    /// incident it names now (the one given, or the earlier one).
    async fn claim_intake_ref(
        &self,
        reference: &str,
        incident_id: &str,
        at: i64,
    ) -> StorageResult<String>;
    /// The incident `reference` names.
    async fn intake_ref(&self, reference: &str) -> StorageResult<Option<String>>;
    /// Forgets `reference` (its incident could not be stored).
    async fn drop_intake_ref(&self, reference: &str) -> StorageResult<()>;
}

/// One piece of news for the people behind `target` (`unit:<code>`,
/// `centre:<town or county code>`, `verify:<town code>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsItem {
    /// Whom it is for.
    pub target: String,
    /// The incident it is about.
    pub incident_id: String,
    /// What happened (a workflow action's code, or `reported`).
    pub kind: String,
    /// When (unix seconds).
    pub at: i64,
}

/// News for the phones' "anything for me?" check.
#[async_trait]
pub trait NewsStore: Send + Sync {
    /// Stores `items`.
    async fn add_news(&self, items: &[NewsItem]) -> StorageResult<()>;
    /// For `targets`: the newest sequence number of any news (0 when none), and
    /// how many items after `after` are theirs.
    async fn news_after(&self, targets: &[String], after: i64) -> StorageResult<(i64, u64)>;
    /// Drops news older than `before` (unix seconds); returns how many.
    async fn prune_news(&self, before: i64) -> StorageResult<u64>;
}

/// Adjustments of grid workers' points, attributed and never edited.
#[async_trait]
pub trait PointStore: Send + Sync {
    /// Stores one adjustment.
    async fn add_point_adjustment(
        &self,
        adjustment: &fieldgrid_core::assessment::PointAdjustment,
    ) -> StorageResult<()>;
    /// The adjustments of `staff` made in `[from, to)` (unix seconds), oldest first.
    async fn point_adjustments(
        &self,
        staff: &str,
        from: i64,
        to: i64,
    ) -> StorageResult<Vec<fieldgrid_core::assessment::PointAdjustment>>;
}

/// A worker's latest live position.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LivePosition {
    /// Whose.
    pub staff_id: String,
    /// The grid patrolled.
    pub grid_code: String,
    /// Latitude × 1e6.
    pub lat_e6: i32,
    /// Longitude × 1e6.
    pub lon_e6: i32,
    /// Accuracy, metres.
    pub accuracy_m: i32,
    /// When the fix was taken, unix seconds.
    pub at: i64,
}

/// Live positions, and the signal instances send each other (PostgreSQL's
/// LISTEN/NOTIFY; nothing for the single-process SQLite backend).
#[async_trait]
pub trait LiveStore: Send + Sync {
    /// Replaces the person's latest position, unless the stored one is newer.
    async fn put_position(&self, position: &LivePosition) -> StorageResult<()>;
    /// Every position taken at or after `since` (unix seconds).
    async fn live_positions(&self, since: i64) -> StorageResult<Vec<LivePosition>>;
    /// Whether events must go through the database to reach the other instances.
    fn shares_events(&self) -> bool {
        false
    }
    /// Sends an event (JSON, under 8,000 bytes) to every instance's listener.
    async fn notify_live(&self, _payload: &str) -> StorageResult<()> {
        Ok(())
    }
    /// A dedicated connection listening for the events, when the backend shares
    /// them; each item is one event's JSON.
    async fn listen_live(&self) -> StorageResult<Option<tokio::sync::mpsc::Receiver<String>>> {
        Ok(None)
    }
}

/// Every storage trait, for the backends that implement them.
pub mod prelude {
    pub use super::{
        AccountStore, DocumentStore, IntakeStore, JobStore, KnowledgeStore, LiveStore, NewsStore,
        PointStore, ReferenceStore, Storage, TrackStore, UploadStore, WebSessionStore,
    };
}

/// One stored state of a knowledge item: a published revision (`version` ≥ 1)
/// or a draft (`version` 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnowledgeRow {
    /// `entry` or `task`.
    pub kind: String,
    /// The item id.
    pub id: String,
    /// The version that published it (0: a draft).
    pub version: u64,
    /// The item as JSON ([`fieldgrid_core::knowledge::Item`]).
    pub item: String,
    /// Who made the change (staff id, or `admin:<name>`).
    pub author: String,
    /// When (unix seconds).
    pub at: i64,
}

/// One published version of the knowledge base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnowledgeVersion {
    /// The version.
    pub version: u64,
    /// Who published it.
    pub author: String,
    /// When (unix seconds).
    pub at: i64,
    /// How many items it changed.
    pub changed: u64,
}

/// The knowledge base and grid task list: every published revision, the drafts
/// waiting to be published, and the versions.
#[async_trait]
pub trait KnowledgeStore: Send + Sync {
    /// The newest published version (0: none yet).
    async fn knowledge_version(&self) -> StorageResult<u64>;
    /// For every item changed in `(since, to]`, its newest revision up to `to`,
    /// in (kind, id) order after `after`, at most `limit`.
    async fn knowledge_changes(
        &self,
        since: u64,
        to: u64,
        after: Option<(String, String)>,
        limit: u32,
    ) -> StorageResult<Vec<KnowledgeRow>>;
    /// How many items changed in `(since, to]`.
    async fn knowledge_change_count(&self, since: u64, to: u64) -> StorageResult<u64>;
    /// The newest revision of every item ever published (retired ones too), in
    /// (kind, id) order.
    async fn knowledge_latest(&self) -> StorageResult<Vec<KnowledgeRow>>;
    /// Every revision of one item, newest first.
    async fn knowledge_history(&self, kind: &str, id: &str) -> StorageResult<Vec<KnowledgeRow>>;
    /// The drafts, in (kind, id) order.
    async fn knowledge_drafts(&self) -> StorageResult<Vec<KnowledgeRow>>;
    /// Stores drafts (replacing a draft of the same item), in one transaction.
    async fn put_knowledge_drafts(&self, drafts: &[KnowledgeRow]) -> StorageResult<()>;
    /// Drops one item's draft, or every draft; returns how many.
    async fn discard_knowledge_drafts(&self, item: Option<(&str, &str)>) -> StorageResult<u64>;
    /// Publishes every draft as version `expected + 1` by `author`, in one
    /// transaction: the drafts become revisions, the version is recorded, the
    /// reference versions the sync reports say so. `None` when there is no
    /// draft; [`StorageError::Conflict`] when the newest version is no longer
    /// `expected`.
    async fn publish_knowledge(
        &self,
        expected: u64,
        author: &str,
        at: i64,
    ) -> StorageResult<Option<u64>>;
    /// Every published version, newest first.
    async fn knowledge_versions(&self) -> StorageResult<Vec<KnowledgeVersion>>;
}

/// The lead on one background job, held until released (or until the instance
/// holding it dies: PostgreSQL then drops its session's lock).
#[async_trait]
pub trait JobLease: Send {
    /// Gives the lead up.
    async fn release(self: Box<Self>);
}

/// Background work (removing stale uploads, pruning news) done by one instance
/// at a time: on PostgreSQL under an advisory lock every instance asks for; the
/// embedded SQLite backend serves one instance, which always leads.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Takes the lead on `job` unless another instance holds it (`None` then).
    async fn try_lead(&self, job: &str) -> StorageResult<Option<Box<dyn JobLease>>>;
    /// Whether the one-time job `job` was done on this database.
    async fn job_done(&self, job: &str) -> StorageResult<bool>;
    /// Notes that the one-time job `job` is done.
    async fn mark_job_done(&self, job: &str, at: i64) -> StorageResult<()>;
}

/// The advisory-lock key of a job: its name's BLAKE3 hash, first 8 bytes.
pub(crate) fn job_key(job: &str) -> i64 {
    let hash = blake3::hash(job.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&hash.as_bytes()[..8]);
    i64::from_le_bytes(bytes)
}
