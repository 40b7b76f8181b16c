//! News for phones: the PostgreSQL backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl NewsStore for PostgresStorage {
    async fn add_news(&self, items: &[NewsItem]) -> StorageResult<()> {
        if items.is_empty() {
            return Ok(());
        }
        let targets: Vec<&str> = items.iter().map(|n| n.target.as_str()).collect();
        let ids: Vec<&str> = items.iter().map(|n| n.incident_id.as_str()).collect();
        let kinds: Vec<&str> = items.iter().map(|n| n.kind.as_str()).collect();
        let ats: Vec<i64> = items.iter().map(|n| n.at).collect();
        self.client()
            .await?
            .execute(
                "INSERT INTO news (target, incident_id, kind, at)
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[])",
                &[&targets, &ids, &kinds, &ats],
            )
            .await?;
        Ok(())
    }

    async fn news_after(&self, targets: &[String], after: i64) -> StorageResult<(i64, u64)> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT (SELECT COALESCE(MAX(seq), 0) FROM news),
                        (SELECT COUNT(*) FROM news WHERE target = ANY($1) AND seq > $2)",
                &[&targets, &after],
            )
            .await?;
        let count: i64 = row.get(1);
        Ok((row.get(0), count as u64))
    }

    async fn prune_news(&self, before: i64) -> StorageResult<u64> {
        Ok(self
            .client()
            .await?
            .execute("DELETE FROM news WHERE at < $1", &[&before])
            .await?)
    }
}
