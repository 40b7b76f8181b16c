//! News for phones: the SQLite backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl NewsStore for SqliteStorage {
    async fn add_news(&self, items: &[NewsItem]) -> StorageResult<()> {
        if items.is_empty() {
            return Ok(());
        }
        let items = items.to_vec();
        self.write(move |c| {
            let tx = c.transaction()?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO news (target, incident_id, kind, at) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for n in &items {
                    stmt.execute(params![n.target, n.incident_id, n.kind, n.at])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn news_after(&self, targets: &[String], after: i64) -> StorageResult<(i64, u64)> {
        let targets = serde_json::to_string(targets).unwrap_or_else(|_| "[]".into());
        self.read(move |c| {
            let latest: i64 =
                c.query_row("SELECT COALESCE(MAX(seq), 0) FROM news", [], |r| r.get(0))?;
            let count: i64 = c
                .prepare_cached(
                    "SELECT COUNT(*) FROM news
                     WHERE target IN (SELECT value FROM json_each(?1)) AND seq > ?2",
                )?
                .query_row(params![targets, after], |r| r.get(0))?;
            Ok((latest, count as u64))
        })
        .await
    }

    async fn prune_news(&self, before: i64) -> StorageResult<u64> {
        self.write(move |c| Ok(c.execute("DELETE FROM news WHERE at < ?1", [before])? as u64))
            .await
    }
}
