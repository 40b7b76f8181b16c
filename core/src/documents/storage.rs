//! Keeping documents in SQLite: a compacted snapshot plus the changes since. The
//! query tables derived from a document are the index layer's (`crate::index`).

use automerge::{AutoCommit, ChangeHash};
use rusqlite::{Connection, OptionalExtension, params};

use super::any::AnyRecord;
use crate::error::{Error, Result};
use crate::records::RecordKind;

/// Changes kept beside a snapshot before they are folded into it. Loading applies
/// them one by one, so this bounds the work of opening a record.
pub(crate) const COMPACT_AFTER: i64 = 64;

/// A document read from the store.
pub(crate) struct Loaded {
    /// `documents.id`.
    pub row: i64,
    /// Its record kind.
    pub kind: RecordKind,
    /// The document, with every stored change applied.
    pub doc: AutoCommit,
}

/// Loads a document by record id, if stored.
pub(crate) fn load(conn: &Connection, doc_id: &str) -> Result<Option<Loaded>> {
    let found: Option<(i64, String, Vec<u8>)> = conn
        .query_row(
            "SELECT id, kind, snapshot FROM documents WHERE doc_id = ?1",
            [doc_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((row, kind, snapshot)) = found else {
        return Ok(None);
    };
    let kind: RecordKind = kind.parse().map_err(|reason| Error::InvalidDocument {
        id: doc_id.to_owned(),
        kind: RecordKind::Household,
        reason,
    })?;
    let mut doc = AutoCommit::load(&snapshot)?;
    let mut stmt =
        conn.prepare_cached("SELECT bytes FROM doc_changes WHERE doc = ?1 ORDER BY id")?;
    let mut changes = Vec::new();
    let mut rows = stmt.query([row])?;
    while let Some(r) = rows.next()? {
        changes.extend_from_slice(r.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?);
    }
    if !changes.is_empty() {
        doc.load_incremental(&changes)?;
    }
    Ok(Some(Loaded { row, kind, doc }))
}

/// Loads a document that must exist and be of `kind`.
pub(crate) fn load_kind(conn: &Connection, doc_id: &str, kind: RecordKind) -> Result<Loaded> {
    let loaded = load(conn, doc_id)?.ok_or_else(|| Error::NotFound {
        id: doc_id.to_owned(),
    })?;
    if loaded.kind != kind {
        return Err(Error::WrongKind {
            id: doc_id.to_owned(),
            expected: kind,
            actual: loaded.kind,
        });
    }
    Ok(loaded)
}

/// Stores a document after changes were made to it (`heads_before` is where it
/// stood when loaded). Call inside a transaction, and project the record it
/// returns into the index in the same one. `snapshot` may give loadable bytes of
/// the whole document for a new record (otherwise it is saved). Returns the
/// `documents.id` row and the record the document now holds.
#[allow(clippy::too_many_arguments)]
pub(crate) fn persist(
    conn: &Connection,
    doc_id: &str,
    existing: Option<i64>,
    kind: RecordKind,
    doc: &mut AutoCommit,
    heads_before: &[ChangeHash],
    snapshot: Option<&[u8]>,
    now: i64,
) -> Result<(i64, AnyRecord)> {
    // Derive first: a document that does not fit its schema is never stored.
    let record = AnyRecord::hydrate(kind, doc, doc_id)?;
    let heads = encode_heads(&doc.get_heads());
    let row = match existing {
        None => {
            let saved;
            let snapshot = match snapshot {
                Some(bytes) => bytes,
                None => {
                    saved = doc.save();
                    &saved
                }
            };
            insert_new(conn, doc_id, &record, snapshot, &heads, false, now)?
        }
        Some(row) => {
            let new_changes = doc.get_changes(heads_before);
            let pending: i64 = conn.query_row(
                "SELECT count(*) FROM doc_changes WHERE doc = ?1",
                [row],
                |r| r.get(0),
            )?;
            if pending + new_changes.len() as i64 > COMPACT_AFTER {
                conn.execute(
                    "UPDATE documents SET snapshot = ?2 WHERE id = ?1",
                    params![row, doc.save()],
                )?;
                conn.execute("DELETE FROM doc_changes WHERE doc = ?1", [row])?;
            } else {
                let mut insert = conn.prepare_cached(
                    "INSERT OR IGNORE INTO doc_changes (doc, hash, bytes) VALUES (?1, ?2, ?3)",
                )?;
                for change in &new_changes {
                    insert.execute(params![row, &change.hash().0[..], change.raw_bytes()])?;
                }
            }
            conn.execute(
                "UPDATE documents SET heads = ?2, grid_code = ?3, title = ?4, updated_at = ?5
                 WHERE id = ?1",
                params![row, heads, record.grid_code(), record.title(), now],
            )?;
            row
        }
    };
    Ok((row, record))
}

/// Inserts a document new to this store: `snapshot` is its whole saved form,
/// `heads` its encoded heads, `record` what it holds. `synced` marks it as in
/// step with the server (it came from there). Returns its `documents.id` row.
pub(crate) fn insert_new(
    conn: &Connection,
    doc_id: &str,
    record: &AnyRecord,
    snapshot: &[u8],
    heads: &[u8],
    synced: bool,
    now: i64,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO documents
            (doc_id, kind, grid_code, title, snapshot, heads, synced_heads, created_at,
             updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?7 THEN ?6 ELSE x'' END, ?8, ?8)",
    )?
    .execute(params![
        doc_id,
        record.kind().as_str(),
        record.grid_code(),
        record.title(),
        snapshot,
        heads,
        synced,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Heads as stored: 32-byte hashes, concatenated.
pub(crate) fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

/// The inverse of [`encode_heads`].
pub(crate) fn decode_heads(bytes: &[u8]) -> Vec<ChangeHash> {
    bytes
        .chunks_exact(32)
        .filter_map(|c| ChangeHash::try_from(c).ok())
        .collect()
}
