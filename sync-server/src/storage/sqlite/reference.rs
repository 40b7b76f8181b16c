//! Published reference data (org tree, catalogue, forms): the SQLite backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl ReferenceStore for SqliteStorage {
    async fn put_reference(&self, what: &str, version: u64, body: &str) -> StorageResult<()> {
        let (w, b) = (what.to_owned(), body.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO reference_data (what, version, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (what) DO UPDATE SET version = excluded.version, body = excluded.body",
                params![w, version as i64, b],
            )?;
            Ok(())
        })
        .await
    }

    async fn reference(&self, what: &str) -> StorageResult<Option<(u64, String)>> {
        let w = what.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT version, body FROM reference_data WHERE what = ?1",
                [w],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
            )
            .optional()?)
        })
        .await
    }

    async fn reference_versions(&self) -> StorageResult<Vec<(String, u64)>> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT what, version FROM reference_data ORDER BY what")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }
}
