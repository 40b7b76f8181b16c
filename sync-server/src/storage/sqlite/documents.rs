//! Record documents and the change sequence: the SQLite backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl DocumentStore for SqliteStorage {
    async fn document(&self, doc_id: &str) -> StorageResult<Option<StoredDoc>> {
        let id = doc_id.to_owned();
        self.read(move |c| {
            one(
                c,
                &format!("SELECT {STORED_DOC_COLUMNS} FROM documents WHERE doc_id = ?1"),
                [id],
                |r| rows::stored_doc(r, 0),
            )
        })
        .await
    }

    async fn documents(&self, doc_ids: &[String]) -> StorageResult<HashMap<String, StoredDoc>> {
        let ids = grids_json(doc_ids);
        self.read(move |c| {
            let found = all(
                c,
                &format!(
                    "SELECT doc_id, {STORED_DOC_COLUMNS} FROM documents
                     WHERE doc_id IN (SELECT value FROM json_each(?1))"
                ),
                [ids],
                |r| Ok((r.col::<String>(0)?, rows::stored_doc(r, 1)?)),
            )?;
            Ok(found.into_iter().collect())
        })
        .await
    }

    async fn save_documents(&self, saves: &[DocumentSave<'_>]) -> StorageResult<Vec<SaveOutcome>> {
        let saves: Vec<OwnedSave> = saves.iter().map(OwnedSave::from).collect();
        self.write(move |c| {
            // One transaction, one fsync, for the whole batch.
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut outcomes = Vec::with_capacity(saves.len());
            for s in &saves {
                let current: Option<i64> = tx
                    .prepare_cached("SELECT version FROM documents WHERE doc_id = ?1")?
                    .query_row([&s.doc_id], |r| r.get(0))
                    .optional()?;
                if current != s.expected {
                    outcomes.push(SaveOutcome::Conflict);
                    continue;
                }
                tx.prepare_cached(
                    "INSERT INTO documents (doc_id, kind, grid_code, data, version, updated_at)
                     VALUES (?1, ?2, ?3, ?4, 1, ?5)
                     ON CONFLICT (doc_id) DO UPDATE SET grid_code = excluded.grid_code,
                        data = excluded.data, version = documents.version + 1,
                        updated_at = excluded.updated_at",
                )?
                .execute(params![s.doc_id, s.kind, s.grid, s.data, s.at])?;
                if !s.delta.is_empty() {
                    tx.prepare_cached(
                        "INSERT INTO changes (doc_id, kind, grid_code, bytes, origin)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![s.doc_id, s.kind, s.grid, s.delta, s.origin])?;
                }
                for hash in &s.photos {
                    tx.prepare_cached(
                        "INSERT OR IGNORE INTO blob_refs (hash, doc_id) VALUES (?1, ?2)",
                    )?
                    .execute(params![hash, s.doc_id])?;
                }
                note_edits(&tx, &s.doc_id, s.kind, &s.grid, &s.edits)?;
                outcomes.push(SaveOutcome::Saved);
            }
            tx.commit()?;
            Ok(outcomes)
        })
        .await
    }

    async fn changes_after(
        &self,
        seq: i64,
        upto: i64,
        grids: &[String],
        exclude_origin: &str,
        limit: u32,
    ) -> StorageResult<Vec<ChangeRow>> {
        let (grids, origin) = (grids_json(grids), exclude_origin.to_owned());
        self.read(move |c| {
            all(
                c,
                &format!(
                    "SELECT {CHANGE_COLUMNS} FROM changes
                     WHERE seq > ?1 AND seq <= ?2 AND origin <> ?4
                       AND grid_code IN (SELECT value FROM json_each(?3))
                     ORDER BY seq LIMIT ?5"
                ),
                params![seq, upto, grids, origin, limit],
                |r| rows::change_row(r),
            )
        })
        .await
    }

    async fn documents_page(
        &self,
        grids: &[String],
        after: &str,
        limit: u32,
    ) -> StorageResult<Vec<DocRow>> {
        let (grids, after) = (grids_json(grids), after.to_owned());
        self.read(move |c| {
            all(
                c,
                &format!(
                    "SELECT {DOC_ROW_COLUMNS} FROM documents
                     WHERE doc_id > ?2 AND grid_code IN (SELECT value FROM json_each(?1))
                     ORDER BY doc_id LIMIT ?3"
                ),
                params![grids, after, limit],
                |r| rows::doc_row(r),
            )
        })
        .await
    }

    async fn last_seq(&self) -> StorageResult<i64> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
    }

    async fn record_edits(
        &self,
        from: i64,
        to: i64,
    ) -> StorageResult<Vec<fieldgrid_core::assessment::RecordEdit>> {
        self.read(move |c| {
            all(
                c,
                &format!(
                    "SELECT DISTINCT {RECORD_EDIT_COLUMNS} FROM record_edits
                     WHERE day >= ?1 AND day < ?2 ORDER BY doc_id, author"
                ),
                params![fieldgrid_core::time::day_start_at(from), to],
                |r| rows::record_edit(r),
            )
        })
        .await
    }

    async fn note_record_edits(
        &self,
        doc_id: &str,
        kind: fieldgrid_core::records::RecordKind,
        grid_code: &str,
        edits: &[(String, i64)],
    ) -> StorageResult<()> {
        let (doc_id, grid, edits) = (doc_id.to_owned(), grid_code.to_owned(), edits.to_vec());
        self.write(move |c| {
            let tx = c.transaction()?;
            note_edits(&tx, &doc_id, kind.as_str(), &grid, &edits)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn identity(&self) -> StorageResult<String> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT value FROM storage_identity WHERE id = 1", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
    }
}

/// Writes a record's `(author, day)` edit rows, each once.
fn note_edits(
    tx: &rusqlite::Transaction<'_>,
    doc_id: &str,
    kind: &str,
    grid: &str,
    edits: &[(String, i64)],
) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO record_edits (doc_id, kind, grid_code, author, day)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (author, day) in edits {
        insert.execute(params![doc_id, kind, grid, author, day])?;
    }
    Ok(())
}
