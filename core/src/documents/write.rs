//! Writing a record into its document: the fields that changed become one change,
//! signed by the writer's actor and carrying their user id. The store writes this
//! way into its own documents; a server builds a change off to the side of any
//! store ([`change_record`], [`new_record`]) against the version it holds, offers
//! it to its own checks, and keeps nothing when they refuse it.

use automerge::transaction::CommitOptions;
use automerge::{ActorId, AutoCommit, ChangeHash};
use serde_json::Value;

use super::{actor, any, check_id, merge, tree};
use crate::error::{Error, Result, mask_values};
use crate::records::Record;

/// Who writes a change: the user and the actor id of their device and user.
pub(crate) struct Author {
    /// The user id every change carries in its message.
    pub user: String,
    /// The actor id of this device and user.
    pub actor: ActorId,
}

impl Author {
    /// `user` writing on the device with id `device`.
    pub(crate) fn new(device: &[u8; 16], user: &str) -> Author {
        Author {
            actor: actor::actor_for(device, user),
            user: user.to_owned(),
        }
    }

    /// `user` writing on the device whose id is `device_hex` (32 hex digits).
    fn from_hex(device_hex: &str, user: &str) -> Result<Author> {
        let mut device = [0u8; 16];
        hex::decode_to_slice(device_hex, &mut device).map_err(|_| Error::InvalidChanges {
            id: String::new(),
            reason: "the writing device's id is not 32 hex digits".into(),
        })?;
        Ok(Author::new(&device, user))
    }
}

/// Commits what `doc` holds uncommitted as one change by `author` at `at` (unix
/// seconds); `None` when nothing changed.
pub(crate) fn commit(doc: &mut AutoCommit, author: &Author, at: i64) -> Option<ChangeHash> {
    doc.commit_with(
        CommitOptions::default()
            .with_message(actor::commit_message(&author.user))
            .with_time(at),
    )
}

/// A record as the JSON tree its document holds.
pub(crate) fn to_json<R: Record>(record: &R, id: &str) -> Result<Value> {
    serde_json::to_value(record).map_err(|e| Error::InvalidDocument {
        id: id.to_owned(),
        kind: R::KIND,
        reason: mask_values(&e.to_string()),
    })
}

/// Applies `edit` to the record `doc` holds and writes the fields it changed
/// (uncommitted). Diffs against what this version of the app understands, so
/// that fields written by a newer version are left alone, not deleted. Returns
/// the edited record, what `edit` returned and the tree written.
pub(crate) fn edit_in<R: Record, T>(
    doc: &mut AutoCommit,
    id: &str,
    edit: impl FnOnce(&mut R) -> Result<T>,
) -> Result<(R, T, Value)> {
    let mut record: R = any::hydrate(doc, id)?;
    let old = to_json::<R>(&record, id)?;
    let out = edit(&mut record)?;
    let new = to_json::<R>(&record, id)?;
    tree::write_diff(doc, &old, &new)?;
    Ok((record, out, new))
}

/// A new document holding `record`, written by `author` at `at`, uncommitted
/// changes committed.
pub(crate) fn create<R: Record>(
    author: &Author,
    id: &str,
    record: &R,
    at: i64,
) -> Result<AutoCommit> {
    let mut doc = AutoCommit::new().with_actor(author.actor.clone());
    tree::write_diff(
        &mut doc,
        &Value::Object(Default::default()),
        &to_json(record, id)?,
    )?;
    commit(&mut doc, author, at);
    Ok(doc)
}

/// The change that `edit` makes to the record of type `R` saved in `stored`,
/// written on the device `device_hex` (32 hex digits) by `user` at `at` (unix
/// seconds), off to the side of any store: nothing is kept. The bytes merge into
/// `stored` with [`crate::merge_document`]; empty when `edit` changed nothing.
/// Stored bytes that are not a valid record of type `R` are refused.
pub fn change_record<R: Record>(
    id: &str,
    stored: &[u8],
    device_hex: &str,
    user: &str,
    at: i64,
    edit: impl FnOnce(&mut R),
) -> Result<Vec<u8>> {
    check_id(id)?;
    let author = Author::from_hex(device_hex, user)?;
    let mut doc = merge::load_strict(id, stored, &[])?;
    doc.set_actor(author.actor.clone());
    let before = doc.get_heads();
    edit_in::<R, ()>(&mut doc, id, |r| {
        edit(r);
        Ok(())
    })?;
    if commit(&mut doc, &author, at).is_none() {
        return Ok(Vec::new());
    }
    Ok(doc.save_after(&before))
}

/// A new document holding `record` under `id`, written on the device
/// `device_hex` by `user` at `at`, off to the side of any store.
pub fn new_record<R: Record>(
    id: &str,
    record: &R,
    device_hex: &str,
    user: &str,
    at: i64,
) -> Result<Vec<u8>> {
    check_id(id)?;
    let author = Author::from_hex(device_hex, user)?;
    Ok(create(&author, id, record, at)?.save())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::merge_document;
    use crate::records::{Incident, RecordKind};

    fn incident() -> Incident {
        serde_json::from_value(serde_json::json!({
            "grid_code": "g1", "category": "fire", "description": "烟",
            "reporter_id": "w1", "reported_at": 1_700_000_000,
        }))
        .expect("an incident")
    }

    #[test]
    fn a_detached_change_merges_as_its_writer() {
        let device = "00112233445566778899aabbccddeeff";
        let created = new_record("i1", &incident(), device, "w1", 1).unwrap();
        let merged = merge_document(RecordKind::Incident, "i1", None, &created).unwrap();
        assert!(merged.authors.iter().all(|a| a.is(device, "w1")));
        let change = change_record::<Incident>("i1", &merged.document, device, "sup", 2, |i| {
            i.description = "浓烟".into();
        })
        .unwrap();
        let after =
            merge_document(RecordKind::Incident, "i1", Some(&merged.document), &change).unwrap();
        assert_eq!(after.new_changes, 1);
        assert!(after.authors[0].is(device, "sup"));
        let read: Incident = crate::read_record("i1", &after.document).unwrap();
        assert_eq!(read.description, "浓烟");
        assert_eq!(read.reporter_id, "w1");
        // Nothing changed: no change at all.
        let none =
            change_record::<Incident>("i1", &after.document, device, "sup", 3, |_| {}).unwrap();
        assert!(none.is_empty());
        // A bad device id or bytes that are no document are refused.
        assert!(change_record::<Incident>("i1", &after.document, "xyz", "sup", 3, |_| {}).is_err());
        assert!(change_record::<Incident>("i1", b"junk", device, "sup", 3, |_| {}).is_err());
    }
}
