//! Any record: create, read, update, its history and conflicts, and the change
//! exchange with other devices. Every write stores the document and projects it
//! into the index in one transaction.

use automerge::{AutoCommit, ChangeHash};
use rusqlite::Connection;

use super::FieldStore;
use crate::documents::storage::{self, Loaded};
use crate::documents::write::{self, Author};
use crate::documents::{
    DocumentInfo, FieldChange, FieldConflict, any, check_id, history, merge, tree,
};
use crate::error::{Error, Result};
use crate::forms::CompiledForm;
use crate::index::{self, Checked};
use crate::records::{Record, RecordKind};
use crate::time::now;

impl FieldStore {
    /// Stores a new record under a fresh id (a UUIDv7, so ids sort by creation
    /// time) and returns the id.
    pub fn create<R: Record>(&self, record: &R) -> Result<String> {
        let id = uuid::Uuid::now_v7().to_string();
        self.create_with_id(&id, record)?;
        Ok(id)
    }

    /// Stores a new record under the given id.
    pub fn create_with_id<R: Record>(&self, id: &str, record: &R) -> Result<()> {
        check_id(id)?;
        let author = self.author()?;
        self.write(|tx| create_in(tx, &author, id, record, now(), None))
    }

    /// Stores many new records in one transaction (much faster than one by one)
    /// and returns their ids in order.
    pub fn create_batch<R: Record>(&self, records: &[R]) -> Result<Vec<String>> {
        let author = self.author()?;
        let at = now();
        self.write(|tx| {
            let mut ids = Vec::with_capacity(records.len());
            for record in records {
                let id = uuid::Uuid::now_v7().to_string();
                create_in(tx, &author, &id, record, at, None)?;
                ids.push(id);
            }
            Ok(ids)
        })
    }

    /// Reads a record. A field in conflict shows one of its values (see
    /// [`FieldStore::conflicts`]).
    pub fn get<R: Record>(&self, id: &str) -> Result<R> {
        let loaded = storage::load_kind(&self.conn(), id, R::KIND)?;
        any::hydrate(&loaded.doc, id)
    }

    /// Changes a record: `edit` gets the current record and changes it; only the
    /// fields it really changed are written, as one change by the signed-in user.
    /// Returns the record as stored.
    pub fn update<R: Record>(&self, id: &str, edit: impl FnOnce(&mut R)) -> Result<R> {
        let author = self.author()?;
        self.write(|tx| {
            let edit = |r: &mut R| {
                edit(r);
                Ok(())
            };
            Ok(update_in(tx, &author, id, now(), &[], edit, |_| None)?.0)
        })
    }

    /// Applies `edit` to many records of one kind in one transaction (much faster
    /// than one by one, e.g. for bulk changes). Returns how many records changed.
    pub fn update_many<R: Record>(
        &self,
        ids: &[String],
        mut edit: impl FnMut(&str, &mut R),
    ) -> Result<usize> {
        let author = self.author()?;
        let at = now();
        self.write(|tx| {
            let mut changed = 0;
            for id in ids {
                let edit_one = |r: &mut R| {
                    edit(id, r);
                    Ok(())
                };
                if update_in(tx, &author, id, at, &[], edit_one, |_| None)?.2 {
                    changed += 1;
                }
            }
            Ok(changed)
        })
    }

    /// The history of one field of a record: who changed it, when, from what, to what.
    /// `path` names the field by segments joined with `/`, e.g. `head_name`,
    /// `fields/income.annual_total` or `members/0/relation`.
    pub fn field_history(&self, id: &str, path: &str) -> Result<Vec<FieldChange>> {
        let segments = history::parse_path(path)?;
        let mut loaded = self.load(id)?;
        Ok(history::field_history(&mut loaded.doc, &segments))
    }

    /// The fields of a record that hold concurrent values from different devices.
    /// Editing such a field settles it.
    pub fn conflicts(&self, id: &str) -> Result<Vec<FieldConflict>> {
        Ok(history::conflicts(&self.load(id)?.doc))
    }

    /// The heads of a record's document.
    pub fn heads(&self, id: &str) -> Result<Vec<ChangeHash>> {
        Ok(self.load(id)?.doc.get_heads())
    }

    /// The record's changes that a peer lacks, given the heads it has (empty `have`:
    /// the whole compacted document). The bytes go to [`FieldStore::apply_changes`].
    pub fn changes_since(&self, id: &str, have: &[ChangeHash]) -> Result<Vec<u8>> {
        let mut doc = self.load(id)?.doc;
        if have.is_empty() {
            return Ok(doc.save());
        }
        let known: Vec<ChangeHash> = have
            .iter()
            .copied()
            .filter(|h| doc.get_change_by_hash(h).is_some())
            .collect();
        Ok(doc.save_after(&known))
    }

    /// Merges changes (or a whole document) received from another device into the
    /// record `id`, creating it if new. Changes already held are ignored. Returns how
    /// many changes were new.
    ///
    /// Malformed bytes, changes whose history is missing, a kind that differs from
    /// the stored one, or a result that does not fit the record's schema are refused
    /// with an error, and nothing is stored.
    pub fn apply_changes(&self, kind: RecordKind, id: &str, bytes: &[u8]) -> Result<usize> {
        check_id(id)?;
        self.write(|tx| apply_in(tx, kind, id, bytes, now()))
    }

    /// Every stored document, newest first.
    pub fn documents(&self) -> Result<Vec<DocumentInfo>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT doc_id, kind, grid_code, title, heads, updated_at FROM documents
             ORDER BY updated_at DESC, id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            let kind: String = r.get(1)?;
            let heads: Vec<u8> = r.get(4)?;
            Ok((r.get(0)?, kind, r.get(2)?, r.get(3)?, heads, r.get(5)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, grid_code, title, heads, updated_at): (String, String, _, _, _, _) =
                row?;
            let kind = kind.parse().map_err(|reason| Error::InvalidDocument {
                id: id.clone(),
                kind: RecordKind::Household,
                reason,
            })?;
            out.push(DocumentInfo {
                id,
                kind,
                grid_code,
                title,
                heads: storage::decode_heads(&heads),
                updated_at,
            });
        }
        Ok(out)
    }

    fn load(&self, id: &str) -> Result<Loaded> {
        storage::load(&self.conn(), id)?.ok_or_else(|| Error::NotFound { id: id.to_owned() })
    }

    fn author(&self) -> Result<Author> {
        Ok(Author::new(self.raw_device_id(), &self.signed_in_user()?))
    }
}

impl FieldStore {
    /// Runs `f` with record access inside one IMMEDIATE transaction; commits if it
    /// succeeds, otherwise nothing is written.
    pub(crate) fn with_records<T>(&self, f: impl FnOnce(&RecordTx<'_>) -> Result<T>) -> Result<T> {
        let author = self.author()?;
        let at = now();
        self.write(|tx| {
            f(&RecordTx {
                tx,
                author: &author,
                at,
            })
        })
    }
}

/// Several record reads and writes in one transaction, all by the signed-in user
/// at one time (e.g. moving a person between households).
pub(crate) struct RecordTx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    author: &'a Author,
    /// The time the changes carry (unix seconds).
    pub at: i64,
}

impl RecordTx<'_> {
    /// The transaction, for reads of query tables.
    pub(crate) fn tx(&self) -> &rusqlite::Transaction<'_> {
        self.tx
    }

    /// The signed-in user.
    pub(crate) fn user(&self) -> &str {
        &self.author.user
    }

    /// Reads a record as this transaction sees it.
    pub(crate) fn get<R: Record>(&self, id: &str) -> Result<R> {
        let loaded = storage::load_kind(self.tx, id, R::KIND)?;
        any::hydrate(&loaded.doc, id)
    }

    /// Changes a record; if `edit` fails nothing of this record is written.
    pub(crate) fn update<R: Record, T>(
        &self,
        id: &str,
        edit: impl FnOnce(&mut R) -> Result<T>,
    ) -> Result<(R, T)> {
        let (record, out, _) = update_in(self.tx, self.author, id, self.at, &[], edit, |_| None)?;
        Ok((record, out))
    }

    /// Changes a household or person through `form`, the form in force. `edit`
    /// also says how many problems the record has against it afterwards, so that
    /// the index takes that count instead of checking the record again. Any
    /// conflict at `settle` (paths of map keys) is settled: the value written
    /// there wins even if it is the one shown.
    pub(crate) fn update_checked<R: Record, T>(
        &self,
        id: &str,
        settle: &[Vec<String>],
        form: &CompiledForm,
        edit: impl FnOnce(&mut R) -> Result<T>,
        problems: impl FnOnce(&T) -> usize,
    ) -> Result<(R, T)> {
        let (record, out, _) = update_in(self.tx, self.author, id, self.at, settle, edit, |t| {
            Some(Checked {
                form,
                problems: problems(t),
            })
        })?;
        Ok((record, out))
    }

    /// Stores a new record under a fresh id. `checked` gives the record's problem
    /// count against the form in force, when the caller has just checked it.
    pub(crate) fn create<R: Record>(
        &self,
        record: &R,
        checked: Option<Checked<'_>>,
    ) -> Result<String> {
        let id = uuid::Uuid::now_v7().to_string();
        create_in(self.tx, self.author, &id, record, self.at, checked)?;
        Ok(id)
    }
}

/// Loads a record, applies `edit`, re-writes the given `settle` paths where they
/// hold a conflict, and stores the fields that changed as one change, with its
/// index rows (`checked` may give its problem count against the form in force).
/// Returns the record as stored, what `edit` returned, and whether anything
/// changed.
fn update_in<'f, R: Record, T>(
    conn: &Connection,
    author: &Author,
    id: &str,
    at: i64,
    settle: &[Vec<String>],
    edit: impl FnOnce(&mut R) -> Result<T>,
    checked: impl FnOnce(&T) -> Option<Checked<'f>>,
) -> Result<(R, T, bool)> {
    let Loaded { row, mut doc, .. } = storage::load_kind(conn, id, R::KIND)?;
    doc.set_actor(author.actor.clone());
    let heads_before = doc.get_heads();
    let (record, out, new) = write::edit_in(&mut doc, id, edit)?;
    for path in settle {
        tree::settle(&mut doc, &new, path)?;
    }
    let changed = write::commit(&mut doc, author, at).is_some();
    if changed {
        let (row, stored) = storage::persist(
            conn,
            id,
            Some(row),
            R::KIND,
            &mut doc,
            &heads_before,
            None,
            at,
        )?;
        index::project(conn, row, &stored, checked(&out))?;
    }
    Ok((record, out, changed))
}

fn create_in<R: Record>(
    conn: &Connection,
    author: &Author,
    id: &str,
    record: &R,
    at: i64,
    checked: Option<Checked<'_>>,
) -> Result<()> {
    if storage::load(conn, id)?.is_some() {
        return Err(Error::AlreadyExists { id: id.to_owned() });
    }
    let mut doc = write::create(author, id, record, at)?;
    let (row, stored) = storage::persist(conn, id, None, R::KIND, &mut doc, &[], None, at)?;
    index::project(conn, row, &stored, checked)
}

/// Merges changes received from another device into a record (creating it if new)
/// and re-projects it into the index. Returns how many changes were new here.
pub(crate) fn apply_in(
    conn: &Connection,
    kind: RecordKind,
    id: &str,
    bytes: &[u8],
    at: i64,
) -> Result<usize> {
    let (existing, mut stored) = match storage::load(conn, id)? {
        Some(loaded) if loaded.kind != kind => {
            return Err(Error::WrongKind {
                id: id.to_owned(),
                expected: kind,
                actual: loaded.kind,
            });
        }
        Some(loaded) => (Some(loaded.row), loaded.doc),
        None => (None, AutoCommit::new()),
    };
    let heads_before = stored.get_heads();
    let base = if existing.is_some() {
        stored.save()
    } else {
        Vec::new()
    };
    let mut doc = merge::load_strict(id, &base, bytes)?;
    // Counting by metadata: a first sync brings thousands of documents, and
    // materialising every change just to count them would double its cost.
    let added = doc.get_changes_meta(&heads_before).len();
    if added > 0 {
        // A record new here keeps the validated bytes as its snapshot: they are a
        // loadable document already, and saving it again is the costliest step.
        let snapshot = existing.is_none().then_some(bytes);
        let (row, record) = storage::persist(
            conn,
            id,
            existing,
            kind,
            &mut doc,
            &heads_before,
            snapshot,
            at,
        )?;
        index::project(conn, row, &record, None)?;
    }
    Ok(added)
}
