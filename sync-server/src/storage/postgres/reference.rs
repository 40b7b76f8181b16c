//! Published reference data (org tree, catalogue, forms): the PostgreSQL backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl ReferenceStore for PostgresStorage {
    async fn put_reference(&self, what: &str, version: u64, body: &str) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO reference_data (what, version, body) VALUES ($1, $2, $3)
                 ON CONFLICT (what) DO UPDATE SET version = excluded.version, body = excluded.body",
                &[&what, &(version as i64), &body],
            )
            .await?;
        Ok(())
    }

    async fn reference(&self, what: &str) -> StorageResult<Option<(u64, String)>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT version, body FROM reference_data WHERE what = $1",
                &[&what],
            )
            .await?;
        Ok(row.map(|r| (r.get::<_, i64>(0) as u64, r.get(1))))
    }

    async fn reference_versions(&self) -> StorageResult<Vec<(String, u64)>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT what, version FROM reference_data ORDER BY what",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get::<_, i64>(1) as u64))
            .collect())
    }
}
