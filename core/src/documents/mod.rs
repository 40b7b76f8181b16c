//! The document layer: every household, person, incident and patrol log is its own
//! Automerge document, written by a per-device, per-user actor, and merged field by
//! field with the changes other devices made offline.

pub(crate) mod actor;
pub(crate) mod any;
pub(crate) mod history;
pub(crate) mod merge;
pub(crate) mod read;
pub(crate) mod storage;
pub(crate) mod tree;
pub(crate) mod write;

use automerge::ChangeHash;
use serde::Serialize;

pub use history::{FieldChange, FieldConflict, change_authors};
pub use merge::{ChangeAuthor, MergeOutcome, merge_document, read_record};
pub use write::{change_record, new_record};

use crate::error::{Error, Result};
use crate::records::RecordKind;

/// What the store knows of one document, without loading it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentInfo {
    /// The record id.
    pub id: String,
    /// Its kind.
    pub kind: RecordKind,
    /// The grid it belongs to.
    pub grid_code: String,
    /// Its label in lists.
    pub title: String,
    /// The hashes of its latest changes.
    #[serde(skip)]
    pub heads: Vec<ChangeHash>,
    /// When it last changed on this device, in unix seconds.
    pub updated_at: i64,
}

/// Record ids travel in URLs and file names: keep them plain.
pub(crate) fn check_id(id: &str) -> Result<()> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidRecordId { id: id.to_owned() })
    }
}
