//! Hotline keys and intake references: the PostgreSQL backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl IntakeStore for PostgresStorage {
    async fn create_intake_key(&self, name: &str, token_hash: &str, at: i64) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO intake_keys (token_hash, name, created_at) VALUES ($1, $2, $3)",
                &[&token_hash, &name, &at],
            )
            .await?;
        Ok(())
    }

    async fn intake_key_by_token(&self, token_hash: &str) -> StorageResult<Option<String>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT name FROM intake_keys WHERE token_hash = $1 AND revoked_at IS NULL",
                &[&token_hash],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn revoke_intake_key(&self, name: &str, at: i64) -> StorageResult<bool> {
        let n = self
            .client()
            .await?
            .execute(
                "UPDATE intake_keys SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
                &[&name, &at],
            )
            .await?;
        Ok(n > 0)
    }

    async fn claim_intake_ref(
        &self,
        reference: &str,
        incident_id: &str,
        at: i64,
    ) -> StorageResult<String> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO intake_refs (ref, incident_id, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (ref) DO NOTHING",
                &[&reference, &incident_id, &at],
            )
            .await?;
        let row = client
            .query_one(
                "SELECT incident_id FROM intake_refs WHERE ref = $1",
                &[&reference],
            )
            .await?;
        Ok(row.get(0))
    }

    async fn intake_ref(&self, reference: &str) -> StorageResult<Option<String>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT incident_id FROM intake_refs WHERE ref = $1",
                &[&reference],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn drop_intake_ref(&self, reference: &str) -> StorageResult<()> {
        self.client()
            .await?
            .execute("DELETE FROM intake_refs WHERE ref = $1", &[&reference])
            .await?;
        Ok(())
    }
}
