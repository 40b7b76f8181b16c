//! The knowledge base and grid task list: the PostgreSQL backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl KnowledgeStore for PostgresStorage {
    async fn knowledge_version(&self) -> StorageResult<u64> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT coalesce(max(version), 0) FROM knowledge_versions",
                &[],
            )
            .await?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    async fn knowledge_changes(
        &self,
        since: u64,
        to: u64,
        after: Option<(String, String)>,
        limit: u32,
    ) -> StorageResult<Vec<crate::storage::KnowledgeRow>> {
        let (kind, id) = after.unwrap_or_default();
        let rows = self
            .client()
            .await?
            .query(
                &rows::knowledge_changes_sql('$'),
                &[&(since as i64), &(to as i64), &kind, &id, &i64::from(limit)],
            )
            .await?;
        rows.iter().map(rows::knowledge_row).collect()
    }

    async fn knowledge_change_count(&self, since: u64, to: u64) -> StorageResult<u64> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT count(*) FROM (SELECT DISTINCT kind, id FROM knowledge_revisions
                 WHERE version > $1 AND version <= $2) d",
                &[&(since as i64), &(to as i64)],
            )
            .await?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    async fn knowledge_latest(&self) -> StorageResult<Vec<crate::storage::KnowledgeRow>> {
        let rows = self
            .client()
            .await?
            .query(rows::KNOWLEDGE_LATEST_SQL, &[])
            .await?;
        rows.iter().map(rows::knowledge_row).collect()
    }

    async fn knowledge_history(
        &self,
        kind: &str,
        id: &str,
    ) -> StorageResult<Vec<crate::storage::KnowledgeRow>> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {} FROM knowledge_revisions WHERE kind = $1 AND id = $2
                     ORDER BY version DESC",
                    rows::KNOWLEDGE_COLUMNS
                ),
                &[&kind, &id],
            )
            .await?;
        rows.iter().map(rows::knowledge_row).collect()
    }

    async fn knowledge_drafts(&self) -> StorageResult<Vec<crate::storage::KnowledgeRow>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT kind, id, 0::BIGINT, item, author, at FROM knowledge_drafts
                 ORDER BY kind, id",
                &[],
            )
            .await?;
        rows.iter().map(rows::knowledge_row).collect()
    }

    async fn put_knowledge_drafts(
        &self,
        drafts: &[crate::storage::KnowledgeRow],
    ) -> StorageResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let stmt = tx
            .prepare(
                "INSERT INTO knowledge_drafts (kind, id, item, author, at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (kind, id) DO UPDATE SET item = excluded.item,
                     author = excluded.author, at = excluded.at",
            )
            .await?;
        for d in drafts {
            tx.execute(&stmt, &[&d.kind, &d.id, &d.item, &d.author, &d.at])
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn discard_knowledge_drafts(&self, item: Option<(&str, &str)>) -> StorageResult<u64> {
        let client = self.client().await?;
        let n = match item {
            Some((kind, id)) => {
                client
                    .execute(
                        "DELETE FROM knowledge_drafts WHERE kind = $1 AND id = $2",
                        &[&kind, &id],
                    )
                    .await?
            }
            None => client.execute("DELETE FROM knowledge_drafts", &[]).await?,
        };
        Ok(n)
    }

    async fn publish_knowledge(
        &self,
        expected: u64,
        author: &str,
        at: i64,
    ) -> StorageResult<Option<u64>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // One publish at a time across every instance.
        tx.execute("LOCK TABLE knowledge_versions IN EXCLUSIVE MODE", &[])
            .await?;
        let current: i64 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM knowledge_versions",
                &[],
            )
            .await?
            .get(0);
        if current as u64 != expected {
            return Err(StorageError::Conflict(format!(
                "version {current} was published meanwhile"
            )));
        }
        let drafts: i64 = tx
            .query_one("SELECT count(*) FROM knowledge_drafts", &[])
            .await?
            .get(0);
        if drafts == 0 {
            return Ok(None);
        }
        let version = current + 1;
        tx.execute(
            "INSERT INTO knowledge_revisions (kind, id, version, item, author, at)
             SELECT kind, id, $1, item, author, at FROM knowledge_drafts",
            &[&version],
        )
        .await?;
        tx.execute(
            "INSERT INTO knowledge_versions (version, author, at, changed) VALUES ($1, $2, $3, $4)",
            &[&version, &author, &at, &drafts],
        )
        .await?;
        tx.execute("DELETE FROM knowledge_drafts", &[]).await?;
        tx.execute(
            "INSERT INTO reference_data (what, version, body) VALUES ($1, $2, $3)
             ON CONFLICT (what) DO UPDATE SET version = excluded.version, body = excluded.body",
            &[
                &fieldgrid_core::knowledge::KNOWLEDGE,
                &version,
                &format!("{{\"version\":{version}}}"),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(Some(version as u64))
    }

    async fn knowledge_versions(&self) -> StorageResult<Vec<crate::storage::KnowledgeVersion>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT version, author, at, changed FROM knowledge_versions ORDER BY version DESC",
                &[],
            )
            .await?;
        rows.iter().map(rows::knowledge_version).collect()
    }
}
