//! Hotline keys and intake references: the SQLite backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl IntakeStore for SqliteStorage {
    async fn create_intake_key(&self, name: &str, token_hash: &str, at: i64) -> StorageResult<()> {
        let (n, h) = (name.to_owned(), token_hash.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO intake_keys (token_hash, name, created_at) VALUES (?1, ?2, ?3)",
                params![h, n, at],
            )?;
            Ok(())
        })
        .await
    }

    async fn intake_key_by_token(&self, token_hash: &str) -> StorageResult<Option<String>> {
        let h = token_hash.to_owned();
        self.read(move |c| {
            one(
                c,
                "SELECT name FROM intake_keys WHERE token_hash = ?1 AND revoked_at IS NULL",
                [h],
                |r| Ok(r.get(0)?),
            )
        })
        .await
    }

    async fn revoke_intake_key(&self, name: &str, at: i64) -> StorageResult<bool> {
        let n = name.to_owned();
        self.write(move |c| {
            Ok(c.execute(
                "UPDATE intake_keys SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
                params![n, at],
            )? > 0)
        })
        .await
    }

    async fn claim_intake_ref(
        &self,
        reference: &str,
        incident_id: &str,
        at: i64,
    ) -> StorageResult<String> {
        let (r, i) = (reference.to_owned(), incident_id.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO intake_refs (ref, incident_id, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (ref) DO NOTHING",
                params![r, i, at],
            )?;
            Ok(c.query_row(
                "SELECT incident_id FROM intake_refs WHERE ref = ?1",
                [r],
                |row| row.get(0),
            )?)
        })
        .await
    }

    async fn intake_ref(&self, reference: &str) -> StorageResult<Option<String>> {
        let r = reference.to_owned();
        self.read(move |c| {
            one(
                c,
                "SELECT incident_id FROM intake_refs WHERE ref = ?1",
                [r],
                |row| Ok(row.get(0)?),
            )
        })
        .await
    }

    async fn drop_intake_ref(&self, reference: &str) -> StorageResult<()> {
        let r = reference.to_owned();
        self.write(move |c| {
            c.execute("DELETE FROM intake_refs WHERE ref = ?1", [r])?;
            Ok(())
        })
        .await
    }
}
