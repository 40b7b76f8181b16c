//! fieldgrid-core: everything a grid worker's phone does, offline.
//!
//! [`FieldStore`] is the entry point: one SQLite file holding every household,
//! person, incident and patrol log as its own Automerge document (so edits made
//! offline on several phones merge field by field), the org tree, and the search
//! index. See `ARCHITECTURE.md` at the repository root for the layers.
//!
//! Opening a store and a record's round trip:
//!
//! ```
//! use fieldgrid_core::FieldStore;
//! use fieldgrid_core::records::Household;
//!
//! let dir = tempfile::tempdir()?;
//! let store = FieldStore::open(dir.path().join("phone.sqlite"))?;
//! store.sign_in("worker-320722104201001");
//! let id = store.create(&Household::new("320722104201001", "安峰村1组3号", "孙立平"))?;
//! store.update::<Household>(&id, |h| h.head_name = "孙立平".into())?;
//! let back: Household = store.get(&id)?;
//! assert_eq!((back.address.as_str(), back.head_name.as_str()), ("安峰村1组3号", "孙立平"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Two phones edit the same record offline; each applies the other's changes and
//! both end with both edits (what the sync does through the server):
//!
//! ```
//! use fieldgrid_core::FieldStore;
//! use fieldgrid_core::records::{Household, RecordKind};
//!
//! let dir = tempfile::tempdir()?;
//! let a = FieldStore::open(dir.path().join("a.sqlite"))?;
//! let b = FieldStore::open(dir.path().join("b.sqlite"))?;
//! a.sign_in("worker-a");
//! b.sign_in("worker-b");
//! let id = a.create(&Household::new("320722104201001", "安峰村1组3号", "孙立平"))?;
//! b.apply_changes(RecordKind::Household, &id, &a.changes_since(&id, &[])?)?;
//! let (seen_a, seen_b) = (a.heads(&id)?, b.heads(&id)?);
//! a.update::<Household>(&id, |h| h.address = "安峰村1组5号".into())?;
//! b.update::<Household>(&id, |h| h.head_name = "孙立民".into())?;
//! b.apply_changes(RecordKind::Household, &id, &a.changes_since(&id, &seen_a)?)?;
//! a.apply_changes(RecordKind::Household, &id, &b.changes_since(&id, &seen_b)?)?;
//! for store in [&a, &b] {
//!     let h: Household = store.get(&id)?;
//!     assert_eq!((h.address.as_str(), h.head_name.as_str()), ("安峰村1组5号", "孙立民"));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod assessment;
mod db;
pub(crate) mod documents;
mod error;
pub mod forms;
pub mod household;
pub mod id_checks;
pub mod incident;
mod index;
mod kind;
pub mod knowledge;
pub mod media;
pub mod org;
pub mod patrol;
pub mod protocol;
pub mod records;
mod schema;
mod store;
pub mod sync;
mod text;
pub mod time;

pub use automerge::ChangeHash;
pub use documents::{
    ChangeAuthor, DocumentInfo, FieldChange, FieldConflict, MergeOutcome, change_authors,
    change_record, merge_document, new_record, read_record,
};
pub use error::{Error, Result};
pub use index::{SearchFilter, SearchHit};
pub use kind::{ReferenceData, ReferenceKind};
pub use store::{FieldStore, Followed, StoreSettings};

/// The newest database schema version this build reads and writes.
pub const SCHEMA_VERSION: i64 = schema::LATEST;
