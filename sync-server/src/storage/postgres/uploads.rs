//! Photo references and uploads in progress: the PostgreSQL backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl UploadStore for PostgresStorage {
    async fn photo_grids(&self, hash: &str) -> StorageResult<Vec<String>> {
        Ok(self
            .client()
            .await?
            .query(
                "SELECT DISTINCT d.grid_code FROM blob_refs r JOIN documents d ON d.doc_id = r.doc_id
                 WHERE r.hash = $1",
                &[&hash],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    async fn add_photo_refs(&self, doc_id: &str, hashes: &[String]) -> StorageResult<()> {
        let client = self.client().await?;
        for h in hashes {
            client
                .execute(
                    "INSERT INTO blob_refs (hash, doc_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[h, &doc_id],
                )
                .await?;
        }
        Ok(())
    }

    async fn has_photo_refs(&self) -> StorageResult<bool> {
        Ok(self
            .client()
            .await?
            .query_one("SELECT EXISTS (SELECT 1 FROM blob_refs)", &[])
            .await?
            .get(0))
    }

    async fn claim_upload(&self, hash: &str, device: &str, at: i64) -> StorageResult<String> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO uploads (hash, device_id, started_at) VALUES ($1, $2, $3)
                 ON CONFLICT (hash) DO NOTHING",
                &[&hash, &device, &at],
            )
            .await?;
        Ok(client
            .query_one("SELECT device_id FROM uploads WHERE hash = $1", &[&hash])
            .await?
            .get(0))
    }

    async fn end_upload(&self, hash: &str) -> StorageResult<()> {
        self.client()
            .await?
            .execute("DELETE FROM uploads WHERE hash = $1", &[&hash])
            .await?;
        Ok(())
    }

    async fn stale_uploads(&self, before: i64) -> StorageResult<Vec<String>> {
        Ok(self
            .client()
            .await?
            .query("SELECT hash FROM uploads WHERE started_at < $1", &[&before])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }
}
