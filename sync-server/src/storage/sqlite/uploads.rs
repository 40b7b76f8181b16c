//! Photo references and uploads in progress: the SQLite backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl UploadStore for SqliteStorage {
    async fn photo_grids(&self, hash: &str) -> StorageResult<Vec<String>> {
        let hash = hash.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT d.grid_code FROM blob_refs r JOIN documents d ON d.doc_id = r.doc_id
                 WHERE r.hash = ?1",
            )?;
            let rows = stmt.query_map([hash], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn add_photo_refs(&self, doc_id: &str, hashes: &[String]) -> StorageResult<()> {
        let (doc_id, hashes) = (doc_id.to_owned(), hashes.to_vec());
        self.write(move |c| {
            let tx = c.transaction()?;
            for h in &hashes {
                tx.execute(
                    "INSERT OR IGNORE INTO blob_refs (hash, doc_id) VALUES (?1, ?2)",
                    params![h, doc_id],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn has_photo_refs(&self) -> StorageResult<bool> {
        self.read(|c| Ok(c.query_row("SELECT EXISTS (SELECT 1 FROM blob_refs)", [], |r| r.get(0))?))
            .await
    }

    async fn claim_upload(&self, hash: &str, device: &str, at: i64) -> StorageResult<String> {
        let (hash, device) = (hash.to_owned(), device.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO uploads (hash, device_id, started_at) VALUES (?1, ?2, ?3)",
                params![hash, device, at],
            )?;
            Ok(c.query_row(
                "SELECT device_id FROM uploads WHERE hash = ?1",
                [hash],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn end_upload(&self, hash: &str) -> StorageResult<()> {
        let hash = hash.to_owned();
        self.write(move |c| {
            c.execute("DELETE FROM uploads WHERE hash = ?1", [hash])?;
            Ok(())
        })
        .await
    }

    async fn stale_uploads(&self, before: i64) -> StorageResult<Vec<String>> {
        self.read(move |c| {
            let mut stmt = c.prepare("SELECT hash FROM uploads WHERE started_at < ?1")?;
            let rows = stmt.query_map([before], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }
}
