//! The detailed error type of the core.
//!
//! Messages name records by id, fields by path and files by location, never by the
//! personal data they hold (names, ID-card numbers, phones, health).

use std::path::PathBuf;

use serde::Serialize;

use crate::kind::RecordKind;

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database was written by a newer version of the app.
    #[error(
        "the database at {path} has schema version {found}, but this app supports up to {supported}; update the app to open it"
    )]
    DatabaseTooNew {
        /// Where the database lives.
        path: PathBuf,
        /// The schema version found in the file.
        found: i64,
        /// The newest schema version this build knows.
        supported: i64,
    },

    /// The file is damaged, or is not a Fieldgrid database. It is left untouched.
    #[error(
        "the database at {path} is corrupt or not a Fieldgrid database ({detail}); the file was left untouched"
    )]
    Corrupt {
        /// Where the database lives.
        path: PathBuf,
        /// What SQLite or the schema check reported.
        detail: String,
    },

    /// The key does not open this store: another key, or a store that was never
    /// encrypted. Nothing was changed.
    #[error(
        "the store at {path} cannot be opened with this key (a different key, or a store that is not encrypted)"
    )]
    WrongKey {
        /// The database file.
        path: PathBuf,
    },

    /// This build cannot encrypt (it was built without SQLCipher); refusing rather
    /// than writing personal data in the clear.
    #[error(
        "this build has no encryption at rest (SQLCipher); refusing to open a store with a key"
    )]
    EncryptionUnavailable,

    /// A write needs an author, and nobody is signed in on this store.
    #[error("no user is signed in on this device; sign in before editing records")]
    NotSignedIn,

    /// No record with this id is stored.
    #[error("no record with id {id}")]
    NotFound {
        /// The record id.
        id: String,
    },

    /// A record id that is empty, too long or has characters other than letters,
    /// digits, `-` and `_`.
    #[error("invalid record id {id:?}: use 1 to 64 letters, digits, '-' or '_'")]
    InvalidRecordId {
        /// The id as given.
        id: String,
    },

    /// A record with this id exists already.
    #[error("a record with id {id} exists already")]
    AlreadyExists {
        /// The record id.
        id: String,
    },

    /// The record exists but is of another kind.
    #[error("record {id} is a {actual} record, not a {expected} record")]
    WrongKind {
        /// The record id.
        id: String,
        /// The kind the caller asked for.
        expected: RecordKind,
        /// The kind stored.
        actual: RecordKind,
    },

    /// Incoming changes build on changes this holder does not have; nothing was
    /// stored.
    #[error(
        "the changes received for record {id} build on {missing} earlier change(s) not held here"
    )]
    MissingHistory {
        /// The record id.
        id: String,
        /// How many changes are missing (at least).
        missing: usize,
    },

    /// Incoming document changes could not be applied; nothing was stored.
    #[error("the changes received for record {id} were rejected: {reason}")]
    InvalidChanges {
        /// The record id.
        id: String,
        /// Why (never includes field values).
        reason: String,
    },

    /// A document does not have the shape of its record type; nothing was stored.
    #[error("record {id} does not match the {kind} schema: {reason}")]
    InvalidDocument {
        /// The record id.
        id: String,
        /// The expected kind.
        kind: RecordKind,
        /// Why (field values are masked).
        reason: String,
    },

    /// A patrol cannot do this in its current state (e.g. resume a stopped patrol).
    #[error("patrol {id} is {state} and cannot {action}")]
    InvalidPatrolState {
        /// The patrol id.
        id: String,
        /// Its state.
        state: String,
        /// What was asked.
        action: String,
    },

    /// A photo was refused (format, size, damage); nothing was stored.
    #[error("{0}")]
    InvalidPhoto(#[from] PhotoError),

    /// A GPX file could not be imported; nothing was stored.
    #[error("{0}")]
    InvalidGpx(#[from] GpxError),

    /// A field path could not be parsed.
    #[error("invalid field path {path:?}: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// Why.
        reason: String,
    },

    /// The org tree offered for import breaks one or more rules; nothing was changed.
    #[error("the org tree version {version} was rejected: {}", problems.join("; "))]
    InvalidOrgTree {
        /// The version offered.
        version: u64,
        /// Every problem found, by code or id.
        problems: Vec<String>,
    },

    /// An incident names a category the catalogue does not know, or one retired
    /// by the day it was reported; nothing was stored.
    #[error("{0}")]
    InvalidCategory(String),

    /// The category catalogue offered breaks a rule; nothing was changed.
    #[error("the category catalogue version {version} was rejected: {}", problems.join("; "))]
    InvalidCatalogue {
        /// The version offered.
        version: u64,
        /// Every problem found.
        problems: Vec<String>,
    },

    /// A page of the knowledge base does not continue the download in progress,
    /// or carries an item that breaks its rules; nothing was changed.
    #[error("the knowledge base page was refused: {0}")]
    InvalidKnowledge(String),

    /// The form pack offered breaks a rule; nothing was changed.
    #[error("the form pack version {version} was rejected: {}", problems.join("; "))]
    InvalidFormPack {
        /// The version offered.
        version: u64,
        /// Every problem found, by form and field key.
        problems: Vec<String>,
    },

    /// A save would store wrong values; nothing was changed. Every problem of the
    /// values written is listed, each naming its field (never the value).
    #[error("record {id} was not saved: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidFields {
        /// The record id.
        id: String,
        /// Every problem of the values written.
        problems: Vec<FieldProblem>,
    },

    /// A record cannot be marked complete while it has problems.
    #[error("record {id} cannot be marked complete: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Incomplete {
        /// The record id.
        id: String,
        /// Every problem still open.
        problems: Vec<FieldProblem>,
    },

    /// A household or person change breaks a rule (e.g. moving a person into the
    /// household they are in).
    #[error("{0}")]
    InvalidChange(String),

    /// A scanned door plate could not be resolved.
    #[error("{0}")]
    DoorPlate(#[from] PlateError),

    /// Reference data older than what the store holds was offered.
    #[error("{what} version {offered} is older than the stored version {current}")]
    StaleReferenceData {
        /// Which reference data.
        what: &'static str,
        /// The stored version.
        current: u64,
        /// The version offered.
        offered: u64,
    },

    /// An SQLite error that is not corruption.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// An Automerge error on a stored document.
    #[error("document error: {0}")]
    Automerge(#[from] automerge::AutomergeError),

    /// A file-system error.
    #[error("i/o error on {path}: {source}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// The core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Masks the values that serde quotes in its messages (`"…"` and `` `…` ``), so a
/// message about a record's shape can be shown or logged without personal data.
pub(crate) fn mask_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut open: Option<char> = None;
    for c in message.chars() {
        match open {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                open = None;
            }
            Some(_) => {}
            None if c == '"' || c == '`' => {
                out.push(c);
                open = Some(c);
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_quoted_values() {
        let m = mask_values("invalid type: string \"刘凤 110101199003070034\", expected i64");
        assert_eq!(m, "invalid type: string \"…\", expected i64");
        assert_eq!(
            mask_values("integer `42`, expected"),
            "integer `…`, expected"
        );
    }
}

/// Why a photo was refused; nothing is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the photo was not accepted: {0}")]
pub struct PhotoError(pub String);

/// Why a GPX file could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a usable GPX track: {0}")]
pub struct GpxError(pub String);

/// Why a scanned payload does not open a household.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlateError {
    /// Not a Fieldgrid door plate at all (another QR code).
    #[error("this QR code is not a Fieldgrid door plate")]
    NotAPlate,
    /// A plate of a newer format than this app reads.
    #[error("this door plate uses format {0}; update the app to read it")]
    UnsupportedVersion(u32),
    /// The check characters do not match: a damaged or misread plate.
    #[error(
        "the door plate did not scan cleanly (check characters differ); scan again or type the plate code"
    )]
    Damaged,
    /// A plate of another county.
    #[error("this door plate belongs to county {county}, not to this county")]
    OtherCounty {
        /// The county code on the plate.
        county: String,
    },
    /// A well-formed plate of this county that no household here carries (not
    /// synced yet, or outside the user's grids).
    #[error(
        "no household on this phone carries door plate {plate}; sync, or it is outside your grids"
    )]
    Unknown {
        /// The plate code.
        plate: String,
    },
    /// The phone has no org tree yet, so it does not know its county.
    #[error("this phone has not received its org tree yet; sync first")]
    NoCounty,
}

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The value itself is wrong (type, range, pattern, check digit...). A save that
    /// writes such a value is refused.
    Invalid,
    /// Something is still missing. A draft may be saved; it cannot be marked complete.
    Incomplete,
    /// Not wrong, but worth a look (the same ID-card number on another person).
    /// Nothing is refused for it.
    Warning,
}

/// One problem with one field of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// Where: `module.field`, or `module.group[row].field` inside a repeat group.
    pub field: String,
    /// The field's question, in Chinese, to show next to the message.
    pub label: String,
    /// How serious.
    pub severity: Severity,
    /// What is wrong, in English, without the value.
    pub message: String,
}

impl std::fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.field, self.label, self.message)
    }
}
