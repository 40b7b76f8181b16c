//! Record documents and the change sequence: the PostgreSQL backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl DocumentStore for PostgresStorage {
    async fn document(&self, doc_id: &str) -> StorageResult<Option<StoredDoc>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!("SELECT {STORED_DOC_COLUMNS} FROM documents WHERE doc_id = $1"),
                &[&doc_id],
            )
            .await?;
        row.map(|r| rows::stored_doc(&r, 0)).transpose()
    }

    async fn documents(&self, doc_ids: &[String]) -> StorageResult<HashMap<String, StoredDoc>> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT doc_id, {STORED_DOC_COLUMNS} FROM documents WHERE doc_id = ANY($1)"
                ),
                &[&doc_ids],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.col::<String>(0)?, rows::stored_doc(r, 1)?)))
            .collect()
    }

    async fn save_documents(&self, saves: &[DocumentSave<'_>]) -> StorageResult<Vec<SaveOutcome>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let insert = tx
            .prepare(
                "INSERT INTO documents (doc_id, kind, grid_code, data, version, updated_at)
                 VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (doc_id) DO NOTHING",
            )
            .await?;
        let update = tx
            .prepare(
                "UPDATE documents SET grid_code = $2, data = $3, version = version + 1, updated_at = $4
                 WHERE doc_id = $1 AND version = $5",
            )
            .await?;
        // Rows are locked in id order, so two batches touching the same records
        // cannot deadlock.
        let mut order: Vec<usize> = (0..saves.len()).collect();
        order.sort_by_key(|&i| saves[i].doc_id);
        let mut outcomes = vec![SaveOutcome::Conflict; saves.len()];
        let mut rows: Vec<&DocumentSave<'_>> = Vec::new();
        for i in order {
            let save = &saves[i];
            let grid = &save.merged.grid_code;
            let n = match save.expected_version {
                None => {
                    tx.execute(
                        &insert,
                        &[
                            &save.doc_id,
                            &save.kind.as_str(),
                            grid,
                            &save.merged.document,
                            &save.at,
                        ],
                    )
                    .await?
                }
                Some(expected) => {
                    tx.execute(
                        &update,
                        &[
                            &save.doc_id,
                            grid,
                            &save.merged.document,
                            &save.at,
                            &expected,
                        ],
                    )
                    .await?
                }
            };
            if n == 1 {
                outcomes[i] = SaveOutcome::Saved;
                for hash in save.new_photos() {
                    tx.execute(
                        "INSERT INTO blob_refs (hash, doc_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        &[&hash, &save.doc_id],
                    )
                    .await?;
                }
                note_edits(
                    &tx,
                    save.doc_id,
                    save.kind.as_str(),
                    grid,
                    &save.edit_days(),
                )
                .await?;
                if !save.sequence_bytes().is_empty() {
                    rows.push(save);
                }
            }
        }
        if !rows.is_empty() {
            // The counter row, locked until commit, makes sequence numbers become
            // visible in order.
            let end: i64 = tx
                .query_one(
                    "UPDATE counters SET value = value + $1 WHERE name = 'seq' RETURNING value",
                    &[&(rows.len() as i64)],
                )
                .await?
                .get(0);
            let insert_change = tx
                .prepare(
                    "INSERT INTO changes (seq, doc_id, kind, grid_code, bytes, origin)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .await?;
            let first = end - rows.len() as i64 + 1;
            for (i, save) in rows.iter().enumerate() {
                tx.execute(
                    &insert_change,
                    &[
                        &(first + i as i64),
                        &save.doc_id,
                        &save.kind.as_str(),
                        &save.merged.grid_code,
                        &save.sequence_bytes(),
                        &save.origin_device,
                    ],
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn changes_after(
        &self,
        seq: i64,
        upto: i64,
        grids: &[String],
        exclude_origin: &str,
        limit: u32,
    ) -> StorageResult<Vec<ChangeRow>> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {CHANGE_COLUMNS} FROM changes
                     WHERE seq > $1 AND seq <= $2 AND grid_code = ANY($3) AND origin <> $4
                     ORDER BY seq LIMIT $5"
                ),
                &[&seq, &upto, &grids, &exclude_origin, &(limit as i64)],
            )
            .await?;
        rows.iter().map(rows::change_row).collect()
    }

    async fn record_edits(
        &self,
        from: i64,
        to: i64,
    ) -> StorageResult<Vec<fieldgrid_core::assessment::RecordEdit>> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT DISTINCT {RECORD_EDIT_COLUMNS} FROM record_edits
                     WHERE day >= $1 AND day < $2 ORDER BY doc_id, author"
                ),
                &[&fieldgrid_core::time::day_start_at(from), &to],
            )
            .await?;
        rows.iter().map(rows::record_edit).collect()
    }

    async fn note_record_edits(
        &self,
        doc_id: &str,
        kind: fieldgrid_core::records::RecordKind,
        grid_code: &str,
        edits: &[(String, i64)],
    ) -> StorageResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        note_edits(&tx, doc_id, kind.as_str(), grid_code, edits).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn documents_page(
        &self,
        grids: &[String],
        after: &str,
        limit: u32,
    ) -> StorageResult<Vec<DocRow>> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {DOC_ROW_COLUMNS} FROM documents
                     WHERE doc_id > $2 AND grid_code = ANY($1) ORDER BY doc_id LIMIT $3"
                ),
                &[&grids, &after, &(limit as i64)],
            )
            .await?;
        rows.iter().map(rows::doc_row).collect()
    }

    async fn last_seq(&self) -> StorageResult<i64> {
        Ok(self
            .client()
            .await?
            .query_one("SELECT value FROM counters WHERE name = 'seq'", &[])
            .await?
            .get(0))
    }

    async fn identity(&self) -> StorageResult<String> {
        Ok(self
            .client()
            .await?
            .query_one("SELECT value FROM storage_identity WHERE id = 1", &[])
            .await?
            .get(0))
    }
}

/// Writes a record's `(author, day)` edit rows, each once.
async fn note_edits(
    tx: &deadpool_postgres::Transaction<'_>,
    doc_id: &str,
    kind: &str,
    grid: &str,
    edits: &[(String, i64)],
) -> StorageResult<()> {
    for (author, day) in edits {
        tx.execute(
            "INSERT INTO record_edits (doc_id, kind, grid_code, author, day)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[&doc_id, &kind, &grid, author, day],
        )
        .await?;
    }
    Ok(())
}
