//! fieldgrid-core: everything a grid worker's phone does, offline.
//!
//! [`FieldStore`] is the entry point: one SQLite file holding every household,
//! person, incident and patrol log as its own Automerge document (so edits made
//! offline on several phones merge field by field), the org tree, and the search
//! index. See `DESIGN.md` for the architecture.

mod db;
pub(crate) mod docs;
mod error;
pub mod forms;
pub mod household;
pub mod identity;
pub mod incident;
mod kind;
pub mod media;
pub mod org;
pub mod patrol;
pub mod records;
mod schema;
mod search;
mod store;
pub mod sync;
mod text;
pub mod time;

pub use automerge::ChangeHash;
pub use docs::{
    ChangeAuthor, DocumentInfo, FieldChange, FieldConflict, MergeOutcome, merge_document,
    read_record,
};
pub use error::{Error, Result};
pub use search::{SearchFilter, SearchHit};
pub use store::{FieldStore, StoreSettings};

/// The newest database schema version this build reads and writes.
pub const SCHEMA_VERSION: i64 = schema::LATEST;
