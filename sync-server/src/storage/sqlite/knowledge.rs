//! The knowledge base and grid task list: the SQLite backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl KnowledgeStore for SqliteStorage {
    async fn knowledge_version(&self) -> StorageResult<u64> {
        self.read(|c| {
            let v: i64 = c.query_row(
                "SELECT coalesce(max(version), 0) FROM knowledge_versions",
                [],
                |r| r.get(0),
            )?;
            Ok(v as u64)
        })
        .await
    }

    async fn knowledge_changes(
        &self,
        since: u64,
        to: u64,
        after: Option<(String, String)>,
        limit: u32,
    ) -> StorageResult<Vec<crate::storage::KnowledgeRow>> {
        self.read(move |c| {
            let (kind, id) = after.unwrap_or_default();
            all(
                c,
                &rows::knowledge_changes_sql('?'),
                params![since as i64, to as i64, kind, id, limit],
                |r| rows::knowledge_row(r),
            )
        })
        .await
    }

    async fn knowledge_change_count(&self, since: u64, to: u64) -> StorageResult<u64> {
        self.read(move |c| {
            let n: i64 = c.query_row(
                "SELECT count(*) FROM (SELECT DISTINCT kind, id FROM knowledge_revisions
                 WHERE version > ?1 AND version <= ?2)",
                params![since as i64, to as i64],
                |r| r.get(0),
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn knowledge_latest(&self) -> StorageResult<Vec<crate::storage::KnowledgeRow>> {
        self.read(|c| {
            all(c, rows::KNOWLEDGE_LATEST_SQL, [], |r| {
                rows::knowledge_row(r)
            })
        })
        .await
    }

    async fn knowledge_history(
        &self,
        kind: &str,
        id: &str,
    ) -> StorageResult<Vec<crate::storage::KnowledgeRow>> {
        let (kind, id) = (kind.to_owned(), id.to_owned());
        self.read(move |c| {
            all(
                c,
                &format!(
                    "SELECT {} FROM knowledge_revisions WHERE kind = ?1 AND id = ?2
                 ORDER BY version DESC",
                    rows::KNOWLEDGE_COLUMNS
                ),
                params![kind, id],
                |r| rows::knowledge_row(r),
            )
        })
        .await
    }

    async fn knowledge_drafts(&self) -> StorageResult<Vec<crate::storage::KnowledgeRow>> {
        self.read(|c| {
            all(
                c,
                "SELECT kind, id, 0, item, author, at FROM knowledge_drafts ORDER BY kind, id",
                [],
                |r| rows::knowledge_row(r),
            )
        })
        .await
    }

    async fn put_knowledge_drafts(
        &self,
        drafts: &[crate::storage::KnowledgeRow],
    ) -> StorageResult<()> {
        let drafts = drafts.to_vec();
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT OR REPLACE INTO knowledge_drafts (kind, id, item, author, at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for d in &drafts {
                    stmt.execute(params![d.kind, d.id, d.item, d.author, d.at])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn discard_knowledge_drafts(&self, item: Option<(&str, &str)>) -> StorageResult<u64> {
        let item = item.map(|(k, i)| (k.to_owned(), i.to_owned()));
        self.write(move |c| {
            let n = match item {
                Some((kind, id)) => c.execute(
                    "DELETE FROM knowledge_drafts WHERE kind = ?1 AND id = ?2",
                    params![kind, id],
                )?,
                None => c.execute("DELETE FROM knowledge_drafts", [])?,
            };
            Ok(n as u64)
        })
        .await
    }

    async fn publish_knowledge(
        &self,
        expected: u64,
        author: &str,
        at: i64,
    ) -> StorageResult<Option<u64>> {
        let author = author.to_owned();
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let current: i64 = tx.query_row(
                "SELECT coalesce(max(version), 0) FROM knowledge_versions",
                [],
                |r| r.get(0),
            )?;
            if current as u64 != expected {
                return Err(StorageError::Conflict(format!(
                    "version {current} was published meanwhile"
                )));
            }
            let drafts: i64 =
                tx.query_row("SELECT count(*) FROM knowledge_drafts", [], |r| r.get(0))?;
            if drafts == 0 {
                return Ok(None);
            }
            let version = current + 1;
            tx.execute(
                "INSERT INTO knowledge_revisions (kind, id, version, item, author, at)
                 SELECT kind, id, ?1, item, author, at FROM knowledge_drafts",
                [version],
            )?;
            tx.execute(
                "INSERT INTO knowledge_versions (version, author, at, changed)
                 VALUES (?1, ?2, ?3, ?4)",
                params![version, author, at, drafts],
            )?;
            tx.execute("DELETE FROM knowledge_drafts", [])?;
            tx.execute(
                "INSERT INTO reference_data (what, version, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (what) DO UPDATE SET version = excluded.version, body = excluded.body",
                params![
                    fieldgrid_core::knowledge::KNOWLEDGE,
                    version,
                    format!("{{\"version\":{version}}}")
                ],
            )?;
            tx.commit()?;
            Ok(Some(version as u64))
        })
        .await
    }

    async fn knowledge_versions(&self) -> StorageResult<Vec<crate::storage::KnowledgeVersion>> {
        self.read(|c| {
            all(
                c,
                "SELECT version, author, at, changed FROM knowledge_versions ORDER BY version DESC",
                [],
                |r| rows::knowledge_version(r),
            )
        })
        .await
    }
}
