//! The form engine: form definitions sent as reference data, validation with every
//! problem per field, skip logic, calculations, and the default form pack (the house
//! record's 6 modules and the person record's 11).
//!
//! Records store answers under `module.field` keys. A record keeps the form version
//! it was last saved with; a newer form opens it (fields the newer form dropped are
//! kept, not shown).

pub mod definition;
pub mod expr;
#[cfg(feature = "demo")]
pub mod sample;
pub mod validate;

use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension};

pub use crate::time::{date_at, day_start, parse_date, whole_years};
pub use definition::{
    Choice, Constraint, FieldDef, FieldType, FormDefinition, FormPack, Label, Module, Section,
};
pub use validate::{CompiledForm, FieldProblem, FormValues, Severity};

use crate::error::Result;
use crate::records::RecordKind;

/// The reference-data name of the form pack.
pub const FORMS: &str = crate::kind::ReferenceKind::FormPack.as_str();

/// The form pack shipped with the app: used until the server sends a newer one.
pub fn default_form_pack() -> FormPack {
    let form = |json: &str| -> FormDefinition {
        serde_json::from_str(json).expect("the shipped forms are valid JSON (tested)")
    };
    FormPack {
        version: 1,
        forms: vec![
            form(include_str!("../../forms/household.json")),
            form(include_str!("../../forms/person.json")),
        ],
    }
}

/// Compiled forms by content digest, shared by every store in the process: forms
/// change rarely and compiling one takes longer than a save.
static COMPILED: Mutex<Vec<CacheEntry>> = Mutex::new(Vec::new());

/// A compiled form with the digest of the pack it came from.
type CacheEntry = ([u8; 32], RecordKind, Arc<CompiledForm>);

fn compiled(
    digest: [u8; 32],
    kind: RecordKind,
    pack: impl FnOnce() -> Option<FormPack>,
) -> Option<Arc<CompiledForm>> {
    let mut cache = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, _, form)) = cache.iter().find(|(d, k, _)| *d == digest && *k == kind) {
        return Some(form.clone());
    }
    let pack = pack()?;
    let mut found = None;
    for form in pack.forms {
        let form_kind = form.kind;
        // The pack was checked on import; a form that fails here is skipped.
        if let Ok(c) = CompiledForm::new(form) {
            let c = Arc::new(c);
            if form_kind == kind {
                found = Some(c.clone());
            }
            cache.retain(|(d, k, _)| !(*d == digest && *k == form_kind));
            cache.push((digest, form_kind, c));
        }
    }
    // Keep the cache small: a process rarely sees more than a few packs.
    let excess = cache.len().saturating_sub(16);
    cache.drain(..excess);
    found
}

fn default_digest() -> [u8; 32] {
    static DIGEST: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    *DIGEST.get_or_init(|| {
        let mut h = blake3::Hasher::new();
        h.update(include_str!("../../forms/household.json").as_bytes());
        h.update(include_str!("../../forms/person.json").as_bytes());
        *h.finalize().as_bytes()
    })
}

/// The form in force for `kind` on this connection: the imported pack's, or the
/// shipped default.
pub(crate) fn current_form(
    conn: &Connection,
    kind: RecordKind,
) -> Result<Option<Arc<CompiledForm>>> {
    #[cfg(test)]
    FORM_LOADS.with(|n| n.set(n.get() + 1));
    let stored: Option<Vec<u8>> = conn
        .query_row(
            "SELECT digest FROM reference_blobs WHERE what = ?1",
            [FORMS],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    Ok(match stored.and_then(|d| <[u8; 32]>::try_from(d).ok()) {
        Some(digest) => compiled(digest, kind, || {
            let body: String = conn
                .query_row(
                    "SELECT body FROM reference_blobs WHERE what = ?1",
                    [FORMS],
                    |r| r.get(0),
                )
                .ok()?;
            serde_json::from_str(&body).ok()
        }),
        None => compiled(default_digest(), kind, || Some(default_form_pack())),
    })
}

#[cfg(test)]
thread_local! {
    /// How many times this thread looked up the form in force (tests count them).
    pub(crate) static FORM_LOADS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
mod tests;
