//! Merging document bytes received from elsewhere, strictly: the phone applies what
//! the server sends with it, and the server merges what phones push with it.

use automerge::{AutoCommit, ChangeHash, LoadOptions, OnPartialLoad, VerificationMode};

use super::any::AnyRecord;
use crate::error::{Error, Result};
use crate::records::RecordKind;

/// Loads `base` (a saved document or nothing) followed by `incoming` as one strict
/// load. `load_incremental` would keep whatever parsed before a cut and drop the rest
/// silently; a payload is taken whole or not at all.
pub(crate) fn load_strict(id: &str, base: &[u8], incoming: &[u8]) -> Result<AutoCommit> {
    let rejected = |reason: String| Error::InvalidChanges {
        id: id.to_owned(),
        reason,
    };
    let mut combined = Vec::with_capacity(base.len() + incoming.len());
    combined.extend_from_slice(base);
    combined.extend_from_slice(incoming);
    let strict = LoadOptions::new()
        .on_partial_load(OnPartialLoad::Error)
        .verification_mode(VerificationMode::Check);
    // Automerge's decoder can panic on crafted bytes (a fuzzer found one in its
    // column decoder); bytes from the network must give an error, not a crash.
    let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        AutoCommit::load_with_options(&combined, strict)
    }))
    .map_err(|_| rejected("the data made the document decoder fail".into()))?;
    let mut doc = loaded.map_err(|e| {
        let e = e.to_string();
        if e.contains("deps") {
            Error::MissingHistory {
                id: id.to_owned(),
                missing: 1,
            }
        } else {
            rejected(format!("not valid Automerge data ({e})"))
        }
    })?;
    let missing = doc.get_missing_deps(&[]);
    if !missing.is_empty() {
        return Err(Error::MissingHistory {
            id: id.to_owned(),
            missing: missing.len(),
        });
    }
    Ok(doc)
}

/// A document after incoming changes were merged into it.
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    /// The merged document, loadable with `AutoCommit::load`, for storing and for
    /// first syncs. For a record that was new, the incoming bytes as they came
    /// (already a saved document, and strictly checked), not saved again.
    pub document: Vec<u8>,
    /// What brings a holder of the previous version up to date: the new changes,
    /// or for a new record the whole document. Empty when nothing was new.
    pub delta: Vec<u8>,
    /// How many changes were new.
    pub new_changes: usize,
    /// The heads of the merged document.
    pub heads: Vec<ChangeHash>,
    /// The grid the merged record belongs to.
    pub grid_code: String,
    /// The merged record's label.
    pub title: String,
    /// What the merged record names that the stored version did not (members,
    /// households, residents, photos): a server checks each against the pusher's area.
    pub new_references: Vec<crate::records::Reference>,
    /// Who the merged record says acted, where the stored version did not say so
    /// (a new visit's visitor, a new incident's reporter, a new step's actor): a
    /// server checks that each names the pusher.
    pub new_claims: Vec<(String, String)>,
    /// Who made each new change, in order: a server accepts a push only when every
    /// new change is the pushing device's and its user's.
    pub authors: Vec<ChangeAuthor>,
}

/// Who made one change, as the change itself records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeAuthor {
    /// The device part of the change's actor id (hex), if the actor follows our layout.
    pub device: Option<String>,
    /// The user id in the change's commit message, if any.
    pub user: Option<String>,
    /// Whether the actor id's user part is the hash of `user` (a change whose message
    /// names someone else than the actor wrote for is forged).
    pub actor_matches_user: bool,
    /// When, unix seconds by the author's clock.
    pub at: i64,
}

impl ChangeAuthor {
    /// Whether the change was made on `device` (hex) by `user`.
    pub fn is(&self, device: &str, user: &str) -> bool {
        self.actor_matches_user
            && self.device.as_deref() == Some(device)
            && self.user.as_deref() == Some(user)
    }
}

/// Merges `incoming` (changes or a whole document) into `stored` (a saved document,
/// or `None` for a record not held yet), checking that the result is a valid record
/// of `kind`. Pure: no storage, so a server can run it against any backend.
pub fn merge_document(
    kind: RecordKind,
    id: &str,
    stored: Option<&[u8]>,
    incoming: &[u8],
) -> Result<MergeOutcome> {
    super::check_id(id)?;
    let mut before = stored.map(|b| load_strict(id, b, &[])).transpose()?;
    let heads_before = before.as_mut().map(|d| d.get_heads()).unwrap_or_default();
    let mut doc = load_strict(id, stored.unwrap_or_default(), incoming)?;
    let record = AnyRecord::hydrate(kind, &doc, id)?;
    let authors: Vec<ChangeAuthor> = doc
        .get_changes_meta(&heads_before)
        .iter()
        .map(|c| {
            let user = super::actor::author_of(c.message.as_deref());
            ChangeAuthor {
                device: super::actor::device_of(&c.actor),
                actor_matches_user: user
                    .as_deref()
                    .is_some_and(|u| super::actor::is_actor_of(&c.actor, u)),
                user,
                at: c.timestamp,
            }
        })
        .collect();
    let new_changes = authors.len();
    let (document, delta) = match (stored, new_changes) {
        (_, 0) => (stored.unwrap_or_default().to_vec(), Vec::new()),
        (None, _) => (incoming.to_vec(), incoming.to_vec()),
        (Some(_), _) => {
            let delta = doc
                .get_changes(&heads_before)
                .iter()
                .flat_map(|c| c.raw_bytes().to_vec())
                .collect();
            (doc.save(), delta)
        }
    };
    let mut new_references = record.references();
    let mut new_claims = record.claims();
    if new_changes == 0 {
        new_references.clear();
        new_claims.clear();
    } else if let Some(before) = &before {
        // A stored version that no longer reads as this kind names nothing.
        if let Ok(old) = AnyRecord::hydrate(kind, before, id) {
            let (named, claimed) = (old.references(), old.claims());
            new_references.retain(|r| !named.contains(r));
            new_claims.retain(|c| !claimed.contains(c));
        }
    }
    new_references.sort();
    new_references.dedup();
    Ok(MergeOutcome {
        new_references,
        new_claims,
        document,
        delta,
        new_changes,
        heads: doc.get_heads(),
        grid_code: record.grid_code().to_owned(),
        title: record.title(),
        authors,
    })
}

/// Reads a typed record out of saved document bytes (strictly), e.g. on a server
/// that holds documents as bytes.
pub fn read_record<R: crate::records::Record>(id: &str, bytes: &[u8]) -> Result<R> {
    super::check_id(id)?;
    let doc = load_strict(id, bytes, &[])?;
    super::any::hydrate(&doc, id)
}
